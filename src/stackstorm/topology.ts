import { existsSync } from 'node:fs';
import type { ClusterHost, ClusterView } from '../core/context.js';
import { PlaybookError } from '../core/errors.js';

/**
 * The shape of the cluster from the inventory: which hosts hold which role, and where each
 * is reached. Checked before any host is contacted.
 */
/** StackStorm's repositories on packagecloud. */
export const ST2_REPOS = ['stable', 'unstable', 'staging-stable', 'staging-unstable'];

export function controllers(cluster: ClusterView): readonly ClusterHost[] {
  return cluster.members('controller');
}

/** Blueprints in inventory order: the load balancer's upstream and the partition order. */
export function blueprints(cluster: ClusterView): readonly ClusterHost[] {
  return cluster.members('blueprint');
}

export function controllerOf(cluster: ClusterView): ClusterHost {
  const found = controllers(cluster);
  if (found.length !== 1) throw new PlaybookError(`the inventory has ${found.length} hosts in [controller]`, 'the guide’s layout has exactly one controller box');
  return found[0]!;
}

/** Where blueprints reach the controller's services: controller_address, else its address. */
export function controllerAddress(cluster: ClusterView): string {
  return cluster.settings.controller_address ?? controllerOf(cluster).address;
}

/** Where clients reach the cluster: st2_public_url, else https on the controller's load balancer. */
export function loadBalancerUrl(cluster: ClusterView): string {
  return cluster.settings.st2_public_url ?? `https://${controllerAddress(cluster)}`;
}

/** The networks admitted to PostgreSQL: pg_hba_network, else the /24 networks of the blueprints' IPv4 addresses. */
export function pgHbaNetworks(cluster: ClusterView): string[] {
  if (cluster.settings.pg_hba_network.length) return cluster.settings.pg_hba_network;
  const nets = new Set<string>();
  for (const b of blueprints(cluster)) {
    const m = /^(\d+\.\d+\.\d+)\.\d+$/.exec(b.address);
    if (!m) throw new PlaybookError(`blueprint ${b.name} has address "${b.address}", not an IPv4 address`, 'set pg_hba_network to the blueprints’ network, e.g. 10.0.3.0/24');
    nets.add(`${m[1]}.0/24`);
  }
  return [...nets];
}

/** A blueprint named by a setting, else the first: where a singleton (timers, garbage collector) runs. */
export function namedBlueprint(cluster: ClusterView, variable: 'st2_timers_node' | 'st2_garbagecollector_node' | 'st2_content_node'): string | undefined {
  return cluster.settings[variable] ?? blueprints(cluster)[0]?.name;
}

/**
 * The rules a cluster must meet before st2prov touches any host: one controller (and one
 * at all when blueprints need it), coordination that works across hosts, singletons and
 * partition files that name real things, control-machine files that exist.
 */
export function validateCluster(cluster: ClusterView, options: { needsController: boolean }): void {
  const s = cluster.settings;
  const found = controllers(cluster);
  const bps = blueprints(cluster);
  if (found.length > 1) throw new PlaybookError(`the inventory has ${found.length} hosts in [controller] (${found.map((c) => c.name).join(', ')})`, 'the guide’s layout has exactly one controller box');
  if (options.needsController && found.length === 0) throw new PlaybookError('the inventory has blueprints but no host in [controller]', 'add the controller box to [controller]: blueprints need its database, broker and load balancer');
  if (s.coordination_backend === 'file' && bps.length > 1) {
    throw new PlaybookError(`coordination_backend is "file" with ${bps.length} blueprints: file locks do not coordinate separate hosts`, 'use redis (the default) or zookeeper, or a single blueprint');
  }
  if (s.coordination_backend === 'zookeeper' && !s.coordination_url) throw new PlaybookError('coordination_backend is zookeeper but coordination_url is not set', 'set coordination_url=zookeeper://host:2181');
  for (const variable of ['st2_timers_node', 'st2_garbagecollector_node', 'st2_content_node'] as const) {
    const name = s[variable];
    if (name !== undefined && !bps.some((b) => b.name === name)) throw new PlaybookError(`${variable} is "${name}", which is not a blueprint of the inventory`, `use one of ${bps.map((b) => b.name).join(', ')}`);
  }
  if (s.sensor_partitioning === 'file' && !s.sensor_partitions_file) throw new PlaybookError('sensor_partitioning is "file" but sensor_partitions_file is not set', 'set sensor_partitions_file to the partition map on the control machine');
  if ((s.st2_tls_cert === undefined) !== (s.st2_tls_key === undefined)) throw new PlaybookError('st2_tls_cert and st2_tls_key go together', 'set both, or neither for a self-signed pair');
  if (!/^https?:\/\//.test(s.st2_repo) && !ST2_REPOS.includes(s.st2_repo)) throw new PlaybookError(`st2_repo "${s.st2_repo}" is not known`, `use ${ST2_REPOS.join(', ')} or a mirror URL`);
  if (/^https?:\/\//.test(s.st2_repo) && !s.st2_repo_key) throw new PlaybookError(`st2_repo is the mirror ${s.st2_repo} but st2_repo_key is not set`, 'set st2_repo_key to the mirror’s signing key file on the control machine');
  for (const variable of ['st2_repo_key', 'st2_tls_cert', 'st2_tls_key', 'sensor_partitions_file'] as const) {
    const path = s[variable];
    if (path !== undefined && !existsSync(path)) throw new PlaybookError(`${variable}: ${path} does not exist on the control machine`, `give the path of the file (relative paths are read from the inventory's folder)`);
  }
}
