import { PlaybookError } from '../errors.js';
import type { ClusterView } from '../engine/hostContext.js';
import type { Host } from '../inventory/inventory.js';
import { st2Components, st2Features, type St2Features } from './versions.js';

/**
 * The HA rules st2prov enforces across the blueprints, computed once from the inventory so
 * every host agrees: one timers node, one garbage collector, before 2.10 one notifier that
 * schedules, and sensors partitioned so that each sensor runs on exactly one node.
 */
export type SensorPartitioning = 'default' | 'hash' | 'file' | 'kvstore';
export const PARTITIONINGS: readonly SensorPartitioning[] = ['default', 'hash', 'file', 'kvstore'];

/** 2^32: st2's hash partitioner maps sensor names into [0, MAX). */
export const HASH_MAX = 2 ** 32;

export interface NodeRoles {
  timers: boolean;
  garbageCollector: boolean;
  notifierScheduler: boolean;
  /** runs st2sensorcontainer */
  sensors: boolean;
  /** `[sensorcontainer] partition_provider`, absent when the node runs no sensors */
  partitionProvider: string | undefined;
  /** st2ctl's COMPONENTS for this node */
  components: string[];
  /** registers pack content after a sync (once for the cluster) */
  registersContent: boolean;
}

export function sensorPartitioning(vars: Record<string, unknown>): SensorPartitioning {
  const value = String(vars.sensor_partitioning ?? 'default');
  if (!(PARTITIONINGS as readonly string[]).includes(value)) throw new PlaybookError(`sensor_partitioning "${value}" is not known`, `use ${PARTITIONINGS.join(', ')}`);
  return value as SensorPartitioning;
}

/**
 * Half-open ranges [start, end) over [0, 2^32) that tile the space without gap or overlap,
 * one per node, written as st2 reads them (MIN..a|a..b|b..MAX).
 */
export function hashRanges(nodes: number): { start: number; end: number; text: string }[] {
  const ranges = [];
  for (let i = 0; i < nodes; i++) {
    const start = Math.floor((i * HASH_MAX) / nodes);
    const end = Math.floor(((i + 1) * HASH_MAX) / nodes);
    ranges.push({ start, end, text: `${i === 0 ? 'MIN' : start}..${i === nodes - 1 ? 'MAX' : end}` });
  }
  return ranges;
}

/** Parses `name:hash, hash_ranges:a..b|c..d` back into numeric ranges (for checks). */
export function parseHashRanges(provider: string): { start: number; end: number }[] | undefined {
  const m = /hash_ranges\s*:\s*([^,]+)/.exec(provider);
  if (!/name\s*:\s*hash/.test(provider) || !m) return undefined;
  return m[1]!.split('|').map((r) => {
    const [a, b] = r.trim().split('..');
    const value = (x: string | undefined) => (x === 'MIN' ? 0 : x === 'MAX' ? HASH_MAX : Number(x));
    return { start: value(a), end: value(b) };
  });
}

/** Whether ranges tile [0, 2^32) exactly: sorted, each starts where the last ended, none empty. */
export function rangesTile(ranges: readonly { start: number; end: number }[]): boolean {
  const sorted = [...ranges].sort((a, b) => a.start - b.start);
  let at = 0;
  for (const r of sorted) {
    if (r.start !== at || r.end <= r.start) return false;
    at = r.end;
  }
  return at === HASH_MAX;
}

function namedNode(blueprints: readonly Host[], vars: Record<string, unknown>, variable: string): string {
  const asked = vars[variable];
  if (asked === undefined || asked === '') return blueprints[0]!.name;
  const name = String(asked);
  if (!blueprints.some((b) => b.name === name)) throw new PlaybookError(`${variable} is "${name}", which is not a blueprint of the inventory`, `use one of ${blueprints.map((b) => b.name).join(', ')}`);
  return name;
}

/** Cluster-wide checks before any host is contacted. */
export function validateBlueprints(blueprints: readonly Host[]): void {
  if (blueprints.length === 0) return;
  const vars = blueprints[0]!.vars;
  const coordination = String(vars.coordination_backend ?? 'redis');
  if (!['redis', 'zookeeper', 'file'].includes(coordination)) throw new PlaybookError(`coordination_backend "${coordination}" is not known`, 'use redis (default), zookeeper or file');
  if (coordination === 'file' && blueprints.length > 1) {
    throw new PlaybookError(`coordination_backend is "file" with ${blueprints.length} blueprints: file locks do not coordinate separate hosts`, 'use redis (the default) or zookeeper, or a single blueprint');
  }
  if (coordination === 'zookeeper' && !vars.coordination_url) throw new PlaybookError('coordination_backend is zookeeper but coordination_url is not set', 'set coordination_url=zookeeper://host:2181');
  sensorPartitioning(vars);
  for (const v of ['st2_timers_node', 'st2_garbagecollector_node', 'st2_content_node']) namedNode(blueprints, vars, v);
  st2Features(vars.st2_version);
}

export function nodeRoles(cluster: ClusterView, node: Host): NodeRoles {
  const blueprints = cluster.byRole('blueprint');
  const vars = node.vars;
  const features: St2Features = st2Features(vars.st2_version);
  const timersNode = namedNode(blueprints, vars, 'st2_timers_node');
  const gcNode = namedNode(blueprints, vars, 'st2_garbagecollector_node');
  const partitioning = sensorPartitioning(vars);
  const index = blueprints.findIndex((b) => b.name === node.name);
  const timers = node.name === timersNode;
  const garbageCollector = node.name === gcNode;
  const sensors = partitioning !== 'default' || index === 0;
  let partitionProvider: string | undefined;
  if (sensors) {
    if (partitioning === 'hash') partitionProvider = `name:hash, hash_ranges:${hashRanges(blueprints.length)[index]!.text}`;
    else if (partitioning === 'file') partitionProvider = 'name:file, partition_file:/etc/st2/sensor_partitions.yaml';
    else partitionProvider = `name:${partitioning}`;
  }
  const components = st2Components(features).filter((c) =>
    !(c === 'st2timersengine' && !timers) && !(c === 'st2garbagecollector' && !garbageCollector) && !(c === 'st2sensorcontainer' && !sensors));
  const registrar = cluster.selected.filter((n) => blueprints.some((b) => b.name === n));
  const contentNode = vars.st2_content_node ? String(vars.st2_content_node) : registrar[0];
  return {
    timers,
    garbageCollector,
    notifierScheduler: features.notifierScheduler && timers,
    sensors,
    partitionProvider,
    components,
    registersContent: node.name === contentNode,
  };
}
