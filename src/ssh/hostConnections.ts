import { homedir } from 'node:os';
import type { Host } from '../inventory/inventory.js';
import { SshConnection, connectionSettings } from './connection.js';
import { KnownHosts } from './knownHosts.js';
import { SshConfig, expandHome } from './sshConfig.js';

export interface ConnectOptions {
  knownHostsFile?: string;
  sshConfigFile?: string;
  acceptNewHostKeys: boolean;
  connectTimeoutMs: number;
  retries: number;
}

/**
 * Makes the connection for each host. known_hosts comes from the host's
 * `ansible_ssh_common_args`/`ansible_ssh_extra_args` (`-o UserKnownHostsFile=...`), as
 * Ansible users write it, else --known-hosts, else ~/.ssh/known_hosts.
 */
export function connectionFactory(options: ConnectOptions): (host: Host) => SshConnection {
  const sshConfig = SshConfig.load(options.sshConfigFile);
  const knownHostsByFile = new Map<string, KnownHosts>();
  return (host) => {
    const file = knownHostsFileOf(host.vars) ?? options.knownHostsFile ?? `${homedir()}/.ssh/known_hosts`;
    let knownHosts = knownHostsByFile.get(file);
    if (!knownHosts) knownHostsByFile.set(file, (knownHosts = new KnownHosts(file)));
    return new SshConnection(connectionSettings(host.name, host.vars, sshConfig), {
      knownHosts,
      acceptNewHostKeys: options.acceptNewHostKeys,
      connectTimeoutMs: options.connectTimeoutMs,
      retries: options.retries,
    });
  };
}

function knownHostsFileOf(vars: Record<string, unknown>): string | undefined {
  const args = `${vars.ansible_ssh_common_args ?? ''} ${vars.ansible_ssh_extra_args ?? ''}`;
  const m = /UserKnownHostsFile=("[^"]+"|'[^']+'|\S+)/.exec(args);
  return m ? expandHome(m[1]!.replace(/^["']|["']$/g, '')) : undefined;
}
