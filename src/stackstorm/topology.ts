import { existsSync, statSync } from 'node:fs';
import type { ClusterHost, ClusterView } from '../core/context.js';
import { PlaybookError } from '../core/errors.js';
import { limitText, sizeText } from '../core/sizes.js';
import { SETTING_FILE_LIMIT } from '../facts/localFiles.js';

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

/** How many hosts [controller] may hold: the guide's one box, or the HA tier of three. */
export const CONTROLLER_COUNTS = [1, 3] as const;

/**
 * The controller tier: three controllers, each running every dependency, clustered, with the
 * load balancer on a virtual address (lb_vip). One controller is the guide's layout.
 */
export function isTier(cluster: ClusterView): boolean {
  return controllers(cluster).length === 3;
}

export function controllerOf(cluster: ClusterView): ClusterHost {
  const found = controllers(cluster);
  if (found.length !== 1) throw new PlaybookError(`the inventory has ${found.length} hosts in [controller]`, 'the guide’s layout has exactly one controller box');
  return found[0]!;
}

/** The controller that starts each cluster (RabbitMQ's join target, the first Redis master, the replica set's initiator): the first one. */
export function seedController(cluster: ClusterView): ClusterHost {
  return controllers(cluster)[0]!;
}

/** Where blueprints reach the controller's services: controller_address, else its address. */
export function controllerAddress(cluster: ClusterView): string {
  return cluster.settings.controller_address ?? controllerOf(cluster).address;
}

/** Where this controller's services listen: its own address in the tier, else the controller address. */
export function serviceAddress(cluster: ClusterView, host: ClusterHost): string {
  return isTier(cluster) ? host.address : controllerAddress(cluster);
}

/** Where clients reach the load balancer: the tier's virtual address, else the controller. */
export function loadBalancerAddress(cluster: ClusterView): string {
  return isTier(cluster) ? cluster.settings.lb_vip! : controllerAddress(cluster);
}

/** Where clients reach the cluster: st2_public_url, else https on the load balancer. */
export function loadBalancerUrl(cluster: ClusterView): string {
  return cluster.settings.st2_public_url ?? `https://${loadBalancerAddress(cluster)}`;
}

/**
 * PostgreSQL in the tier (Mistral only): the primary (postgresql_primary, else the first
 * controller) and one streaming hot standby (the first other controller). Promoting the
 * standby is a manual step (README): then postgresql_primary names it.
 */
export function postgresPair(cluster: ClusterView): { primary: ClusterHost; standby: ClusterHost } {
  const all = controllers(cluster);
  const named = cluster.settings.postgresql_primary;
  const primary = all.find((c) => c.name === named) ?? all[0]!;
  return { primary, standby: all.find((c) => c !== primary)! };
}

/** Where Mistral reaches PostgreSQL: the tier's primary, else the controller. */
export function postgresAddress(cluster: ClusterView): string {
  return isTier(cluster) ? postgresPair(cluster).primary.address : controllerAddress(cluster);
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
 * The rules a cluster must meet before st2prov touches any host: one controller or the tier
 * of three (and one at all when blueprints need it), coordination that works across hosts,
 * singletons and partition files that name real things, control-machine files that exist.
 */
export function validateCluster(cluster: ClusterView, options: { needsController: boolean }): void {
  const s = cluster.settings;
  const found = controllers(cluster);
  const bps = blueprints(cluster);
  if (found.length > 0 && !(CONTROLLER_COUNTS as readonly number[]).includes(found.length)) {
    throw new PlaybookError(`the inventory has ${found.length} hosts in [controller] (${found.map((c) => c.name).join(', ')})`, found.length === 2
      ? 'use one controller box (the guide’s layout) or three (the HA tier): two cannot survive losing one, as MongoDB, RabbitMQ, Sentinel and ZooKeeper need a majority of them alive'
      : 'use one controller box (the guide’s layout) or three (the HA tier, which survives losing any one host); st2prov builds no larger tier');
  }
  if (options.needsController && found.length === 0) throw new PlaybookError('the inventory has blueprints but no host in [controller]', 'add the controller box to [controller]: blueprints need its database, broker and load balancer');
  if (found.length === 3) validateTier(cluster);
  else if (s.lb_vip !== undefined) throw new PlaybookError(`lb_vip is set (${s.lb_vip}) but the inventory has ${found.length} host(s) in [controller]`, 'a virtual address needs the tier of three controllers; with one, clients use the controller’s address');
  if (s.coordination_backend === 'file' && bps.length > 1) {
    throw new PlaybookError(`coordination_backend is "file" with ${bps.length} blueprints: file locks do not coordinate separate hosts`, 'use redis (the default) or zookeeper, or a single blueprint');
  }
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
    if (path === undefined) continue;
    if (!existsSync(path)) throw new PlaybookError(`${variable}: ${path} does not exist on the control machine`, `give the path of the file (relative paths are read from the inventory's folder)`);
    const size = statSync(path).size;
    if (size > SETTING_FILE_LIMIT) throw new PlaybookError(`${variable}: ${path} is ${sizeText(size)}, more than the ${limitText(SETTING_FILE_LIMIT)} st2prov reads of it`, 'give the right file (a key or a certificate is a few KB)');
  }
}

/** The tier's own rules: a virtual address that is free, each controller reached at its own address. */
function validateTier(cluster: ClusterView): void {
  const s = cluster.settings;
  const names = controllers(cluster).map((c) => c.name).join(', ');
  if (!s.lb_vip) throw new PlaybookError(`lb_vip is not set, and the inventory has three controllers (${names})`, 'set lb_vip to a free address on the controllers’ network: keepalived holds it on one of them and moves it when that host or its nginx dies');
  const taken = [...controllers(cluster), ...blueprints(cluster)].find((h) => h.address === s.lb_vip);
  if (taken) throw new PlaybookError(`lb_vip ${s.lb_vip} is the address of ${taken.name}`, 'lb_vip must be a free address: keepalived moves it between the controllers');
  if (s.controller_address !== undefined) throw new PlaybookError(`controller_address is set (${s.controller_address}) with three controllers`, 'leave it out: each controller is reached at its own address, the load balancer at lb_vip');
  if (s.postgresql_primary !== undefined && !controllers(cluster).some((c) => c.name === s.postgresql_primary)) {
    throw new PlaybookError(`postgresql_primary is "${s.postgresql_primary}", which is not a controller of the inventory`, `use one of ${names}`);
  }
  const addresses = controllers(cluster).map((c) => c.address);
  if (new Set(addresses).size !== 3) throw new PlaybookError(`the three controllers do not have three addresses (${addresses.join(', ')})`, 'give each its own ansible_host: they cluster with each other at these addresses');
}
