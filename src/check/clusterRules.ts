import { getIniKey } from '../edit/iniFile.js';
import { getConfKey } from '../edit/confKey.js';
import { parseHashRanges, rangesTile } from '../stackstorm/haRules.js';
import type { St2Features } from '../stackstorm/versions.js';

/** What a blueprint's files say it runs: read from st2.conf and /etc/default/st2ctl. */
export interface NodeConfig {
  name: string;
  st2conf: string;
  st2ctlDefaults: string;
}

export interface RuleResult {
  rule: string;
  ok: boolean;
  detail: string;
}

function components(node: NodeConfig): string[] | undefined {
  const value = getConfKey(node.st2ctlDefaults, 'COMPONENTS', { separator: '=' });
  return value === undefined ? undefined : value.replace(/^"|"$/g, '').split(/\s+/).filter(Boolean);
}

function runs(node: NodeConfig, component: string): boolean {
  const list = components(node);
  return list === undefined || list.includes(component);
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
export function clusterRules(nodes: readonly NodeConfig[], f: St2Features): RuleResult[] {
  const results: RuleResult[] = [];
  const timers = nodes.filter((n) => runsTimers(n, f)).map((n) => n.name);
  results.push({ rule: 'exactly one timers node', ok: timers.length === 1, detail: timers.length ? timers.join(', ') : 'none' });
  const gc = nodes.filter((n) => runs(n, 'st2garbagecollector')).map((n) => n.name);
  results.push({ rule: 'exactly one garbage collector', ok: gc.length === 1, detail: gc.length ? gc.join(', ') : 'none' });
  if (f.notifierScheduler) {
    const schedulers = nodes.filter((n) => runs(n, 'st2notifier') && isTrue(getIniKey(n.st2conf, 'scheduler', 'enable'), true)).map((n) => n.name);
    results.push({ rule: 'exactly one notifier schedules', ok: schedulers.length === 1, detail: schedulers.join(', ') || 'none' });
  }
  const sensorNodes = nodes.filter((n) => runs(n, 'st2sensorcontainer'));
  const providers = sensorNodes.map((n) => ({ name: n.name, provider: getIniKey(n.st2conf, 'sensorcontainer', 'partition_provider') ?? 'name:default' }));
  const kinds = new Set(providers.map((p) => /name\s*:\s*(\w+)/.exec(p.provider)?.[1] ?? 'default'));
  if (kinds.size !== 1) {
    results.push({ rule: 'sensor partitions', ok: false, detail: `mixed providers: ${providers.map((p) => `${p.name}=${p.provider}`).join('; ')}` });
  } else if (kinds.has('default')) {
    results.push({ rule: 'sensor partitions', ok: sensorNodes.length === 1, detail: `default partitioner on ${sensorNodes.map((n) => n.name).join(', ') || 'no node'} (must be exactly one)` });
  } else if (kinds.has('hash')) {
    const ranges = providers.flatMap((p) => parseHashRanges(p.provider) ?? []);
    results.push({ rule: 'sensor partitions', ok: rangesTile(ranges), detail: `hash ranges ${rangesTile(ranges) ? 'tile' : 'do not tile'} [0, 2^32) over ${sensorNodes.length} node(s)` });
  } else {
    results.push({ rule: 'sensor partitions', ok: true, detail: `${[...kinds][0]} partitioner on ${sensorNodes.length} node(s)` });
  }
  const names = nodes.map((n) => getIniKey(n.st2conf, 'sensorcontainer', 'sensor_node_name'));
  results.push({ rule: 'sensor node names are distinct', ok: new Set(names).size === names.length && !names.includes(undefined), detail: names.join(', ') });
  return results;
}
