import { writeFileSync } from 'node:fs';
import { BRIDGE, BRIDGE_ADDRESS, PREFIX_LENGTH, type LabHostSpec } from './config.js';
import { run, tryRun } from './sh.js';

/*
 * The lab's only network: a bridge in the root namespace with the control machine's lab
 * address, and one veth per host into that host's namespace. No NAT, no default route
 * anywhere, IPv6 off on every lab link: nothing but lab addresses is reachable.
 */
export function createBridge(): void {
  run('ip', ['link', 'add', BRIDGE, 'type', 'bridge']);
  disableIpv6(BRIDGE);
  run('ip', ['addr', 'add', `${BRIDGE_ADDRESS}/${PREFIX_LENGTH}`, 'dev', BRIDGE]);
  run('ip', ['link', 'set', BRIDGE, 'up']);
}

export function createHostNetwork(host: LabHostSpec): void {
  run('ip', ['netns', 'add', host.netns]);
  run('ip', ['link', 'add', host.veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', host.netns]);
  disableIpv6(host.veth);
  run('ip', ['link', 'set', host.veth, 'master', BRIDGE, 'up']);
  const inside = (args: string[]) => run('ip', ['netns', 'exec', host.netns, ...args]);
  inside(['sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  inside(['ip', 'link', 'set', 'lo', 'up']);
  inside(['ip', 'addr', 'add', `${host.address}/${PREFIX_LENGTH}`, 'dev', 'eth0']);
  inside(['ip', 'link', 'set', 'eth0', 'up']);
}

/** A host off the lab network: its side of the link down, as a machine without power. */
export function unplugHost(host: LabHostSpec): void {
  run('ip', ['link', 'set', host.veth, 'down']);
}

/** A host back on the lab network with only its own address, as it boots. */
export function plugHost(host: LabHostSpec): void {
  const inside = (args: string[]) => run('ip', ['netns', 'exec', host.netns, ...args]);
  inside(['ip', 'addr', 'flush', 'dev', 'eth0']);
  inside(['ip', 'addr', 'add', `${host.address}/${PREFIX_LENGTH}`, 'dev', 'eth0']);
  run('ip', ['link', 'set', host.veth, 'up']);
}

export function removeHostNetwork(netns: string, veth: string): void {
  tryRun('ip', ['netns', 'del', netns]);
  tryRun('ip', ['link', 'del', veth]);
}

export function removeBridge(): void {
  tryRun('ip', ['link', 'del', BRIDGE]);
}

function disableIpv6(link: string): void {
  try {
    writeFileSync(`/proc/sys/net/ipv6/conf/${link}/disable_ipv6`, '1');
  } catch {
    // no IPv6 in this kernel: nothing to disable
  }
}
