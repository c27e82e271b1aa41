import { homedir } from 'node:os';
import type { ClusterHost } from '../core/context.js';
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
 * Ansible users write it, else --known-hosts, else the OpenSSH config's UserKnownHostsFile,
 * else ~/.ssh/known_hosts. A dry run trusts a new key for its own run only (--accept-new-host-keys
 * records it on apply).
 */
export function connectionFactory(options: ConnectOptions & { record: boolean }, hosts: readonly ClusterHost[]): (host: ClusterHost) => SshConnection {
  const sshConfig = SshConfig.load(options.sshConfigFile);
  const knownHostsByFile = new Map<string, KnownHosts>();
  const knownHostsOf = (file: string) => {
    let knownHosts = knownHostsByFile.get(file);
    if (!knownHosts) knownHostsByFile.set(file, (knownHosts = new KnownHosts(file, { record: options.record })));
    return knownHosts;
  };
  // known_hosts files the command line and the inventory name are read now: one that cannot
  // be read is a usage error before any host is contacted
  for (const file of [options.knownHostsFile, ...hosts.map(knownHostsFileOf)]) if (file) knownHostsOf(file);
  return (host) => new SshConnection(host.name, async () => {
    const settings = await connectionSettings(host, sshConfig);
    const fromConfig = knownHostsFileOf(host) ?? options.knownHostsFile ?? (await sshConfig.lookup(settings.host)).knownHostsFiles[0];
    return {
      settings,
      options: {
        knownHosts: knownHostsOf(fromConfig ?? `${homedir()}/.ssh/known_hosts`),
        acceptNewHostKeys: options.acceptNewHostKeys,
        connectTimeoutMs: options.connectTimeoutMs,
        retries: options.retries,
      },
    };
  });
}

function knownHostsFileOf(host: ClusterHost): string | undefined {
  const args = `${host.settings.ansible_ssh_common_args ?? ''} ${host.settings.ansible_ssh_extra_args ?? ''}`;
  const m = /UserKnownHostsFile=("[^"]+"|'[^']+'|\S+)/.exec(args);
  return m ? expandHome(m[1]!.replace(/^["']|["']$/g, '')) : undefined;
}
