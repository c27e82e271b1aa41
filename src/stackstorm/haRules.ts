import type { ClusterHost, ClusterView } from '../core/context.js';
import { blueprints, namedBlueprint } from './topology.js';
import { st2Components, st2Features } from './versions.js';

/**
 * The HA rules st2prov enforces across the blueprints, computed once from the inventory so
 * every host agrees: one timers node, one garbage collector, before 2.10 one notifier that
 * schedules, and sensors partitioned so that each sensor runs on exactly one node.
 */

/** Where the file partitioner's map goes on a blueprint. */
export const SENSOR_PARTITIONS_FILE = '/etc/st2/sensor_partitions.yaml';

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

/** The st2.conf keys ("section.key") that differ from node to node by design: everything else is shared. */
export const PER_NODE_ST2_KEYS: readonly string[] = [
  'sensorcontainer.sensor_node_name',
  'sensorcontainer.partition_provider',
  'timersengine.enable',
  'timer.enable',
  'scheduler.enable',
];

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

/** What each blueprint runs, by the HA rules, computed from the inventory so every host agrees. */
export function nodeRoles(cluster: ClusterView, node: ClusterHost): NodeRoles {
  const all = blueprints(cluster);
  const s = cluster.settings;
  const features = st2Features(s.st2_version);
  const index = all.findIndex((b) => b.name === node.name);
  const timers = node.name === namedBlueprint(cluster, 'st2_timers_node');
  const garbageCollector = node.name === namedBlueprint(cluster, 'st2_garbagecollector_node');
  const sensors = s.sensor_partitioning !== 'default' || index === 0;
  let partitionProvider: string | undefined;
  if (sensors) {
    if (s.sensor_partitioning === 'hash') partitionProvider = `name:hash, hash_ranges:${hashRanges(all.length)[index]!.text}`;
    else if (s.sensor_partitioning === 'file') partitionProvider = `name:file, partition_file:${SENSOR_PARTITIONS_FILE}`;
    else partitionProvider = `name:${s.sensor_partitioning}`;
  }
  const components = st2Components(features).filter((c) =>
    !(c === 'st2timersengine' && !timers) && !(c === 'st2garbagecollector' && !garbageCollector) && !(c === 'st2sensorcontainer' && !sensors));
  // content is registered once, by a blueprint of this run (the named one, else the first selected)
  const contentNode = s.st2_content_node ?? cluster.selected.find((n) => all.some((b) => b.name === n));
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
