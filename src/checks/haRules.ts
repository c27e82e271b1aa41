import type { ClusterCheck } from '../core/operation.js';
import type { Verdict } from '../core/results.js';
import { getIniKey } from '../edit/iniFile.js';
import { st2NodeConfig, type St2NodeConfig } from '../facts/st2Config.js';
import { parseHashRanges, rangesTile } from '../stackstorm/haRules.js';
import { st2Features, type St2Features } from '../stackstorm/versions.js';

/** A blueprint by what its own files say it runs. */
export interface NodeConfig extends St2NodeConfig {
  name: string;
}

/** The HA rules across every blueprint, from each one's st2.conf and st2ctl COMPONENTS. */
export const haRulesCheck: ClusterCheck = {
  title: 'HA rules across the blueprints',
  facts: () => [st2NodeConfig()],
  verify: (hosts, cluster) => clusterRules(hosts.map((h) => ({ name: h.name, ...h.get(st2NodeConfig()) })), st2Features(cluster.settings.st2_version)),
};

function runs(node: NodeConfig, component: string): boolean {
  return node.components === undefined || node.components.includes(component);
}

function isTrue(value: string | undefined, fallback: boolean): boolean {
  return value === undefined ? fallback : /^true$/i.test(value.trim());
}

/** Whether a node fires timers, by the engine's own logic for its version. */
export function runsTimers(node: NodeConfig, f: St2Features): boolean {
  const timer = getIniKey(node.st2conf, 'timer', 'enable');
  if (!f.timersEngine) return isTrue(timer, true) && runs(node, 'st2rulesengine');
  const engine = getIniKey(node.st2conf, 'timersengine', 'enable');
  return runs(node, 'st2timersengine') && (isTrue(engine, true) || isTrue(timer, false));
}

/** The cluster-wide HA rules: one timers node, one garbage collector, sensors partitioned. */
export function clusterRules(nodes: readonly NodeConfig[], f: St2Features): Verdict[] {
  const results: Verdict[] = [];
  const timers = nodes.filter((n) => runsTimers(n, f)).map((n) => n.name);
  results.push({ check: 'exactly one timers node', ok: timers.length === 1, detail: timers.length ? timers.join(', ') : 'none' });
  const gc = nodes.filter((n) => runs(n, 'st2garbagecollector')).map((n) => n.name);
  results.push({ check: 'exactly one garbage collector', ok: gc.length === 1, detail: gc.length ? gc.join(', ') : 'none' });
  if (f.notifierScheduler) {
    const schedulers = nodes.filter((n) => runs(n, 'st2notifier') && isTrue(getIniKey(n.st2conf, 'scheduler', 'enable'), true)).map((n) => n.name);
    results.push({ check: 'exactly one notifier schedules', ok: schedulers.length === 1, detail: schedulers.join(', ') || 'none' });
  }
  const sensorNodes = nodes.filter((n) => runs(n, 'st2sensorcontainer'));
  const providers = sensorNodes.map((n) => ({ name: n.name, provider: getIniKey(n.st2conf, 'sensorcontainer', 'partition_provider') ?? 'name:default' }));
  const kinds = new Set(providers.map((p) => /name\s*:\s*(\w+)/.exec(p.provider)?.[1] ?? 'default'));
  if (kinds.size !== 1) {
    results.push({ check: 'sensor partitions', ok: false, detail: `mixed providers: ${providers.map((p) => `${p.name}=${p.provider}`).join('; ')}` });
  } else if (kinds.has('default')) {
    results.push({ check: 'sensor partitions', ok: sensorNodes.length === 1, detail: `default partitioner on ${sensorNodes.map((n) => n.name).join(', ') || 'no node'} (must be exactly one)` });
  } else if (kinds.has('hash')) {
    const ranges = providers.flatMap((p) => parseHashRanges(p.provider) ?? []);
    results.push({ check: 'sensor partitions', ok: rangesTile(ranges), detail: `hash ranges ${rangesTile(ranges) ? 'tile' : 'do not tile'} [0, 2^32) over ${sensorNodes.length} node(s)` });
  } else {
    results.push({ check: 'sensor partitions', ok: true, detail: `${[...kinds][0]} partitioner on ${sensorNodes.length} node(s)` });
  }
  const names = nodes.map((n) => getIniKey(n.st2conf, 'sensorcontainer', 'sensor_node_name'));
  results.push({ check: 'sensor node names are distinct', ok: new Set(names).size === names.length && !names.includes(undefined), detail: names.join(', ') });
  return results;
}
