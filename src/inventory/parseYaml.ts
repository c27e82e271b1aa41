import type { Node, YAMLMap } from 'yaml';
import { lazy } from '../core/lazy.js';
import { InventoryError } from '../core/errors.js';
import { MAX_GROUP_DEPTH, MAX_HOST_ENTRIES, MAX_RANGE_HOSTS } from './limits.js';
import { GROUP_NAME, HOST_NAME, VAR_NAME, groupOf, hostNames, type Origin, type ParsedGroup, type ParsedInventory, type VarDef } from './parse.js';
import { hostPatternSize } from './ranges.js';
import { YamlDocument, describe, type Entry } from './yamlDocument.js';

/** The yaml package: loaded only for a YAML inventory. */
const yaml = lazy<typeof import('yaml')>('yaml');

/**
 * Parses Ansible's YAML inventory (the `yaml` inventory plugin): top-level groups, each a
 * mapping of `hosts`, `vars` and `children`; a host's mapping holds its variables; `children`
 * holds groups in the same form. It produces what parseInventory produces for INI, so
 * resolveInventory applies one precedence to both. Where Ansible only warns and skips (an
 * unknown key, a group that is not a mapping) this refuses: a skipped group is a host left
 * out of a deployment. Every error names file and line.
 */
export function parseYamlInventory(text: string, file: string): ParsedInventory {
  const doc = new YamlDocument(file, text);
  const fail = doc.fail.bind(doc);
  const at = (line: number): Origin => ({ file, line });
  const inv: ParsedInventory = { file, hosts: new Map(), groups: new Map() };
  const groupHosts = new Map<ParsedGroup, Set<string>>();
  /** where each child group was named under its parent, for cycle and depth errors */
  const childAt = new Map<string, number>();
  let hostEntries = 0;

  const readVars = (body: Node | null, owner: string, line: number): Map<string, VarDef> => {
    const vars = new Map<string, VarDef>();
    const node = doc.deref(body);
    if (doc.isNull(node)) return vars;
    if (!yaml().isMap(node)) return fail(doc.line(node, line), `the variables of ${owner} must be a mapping of name: value, not ${describe(node!)}`, 'indent each "name: value" under it');
    for (const entry of doc.entries(node)) {
      if (!VAR_NAME.test(entry.name)) fail(entry.line, `invalid variable name "${entry.name}"`, 'use letters, digits and _, starting with a letter or _');
      vars.set(entry.name, { value: doc.value(entry.value), ...at(entry.line) });
    }
    return vars;
  };

  const addHosts = (group: ParsedGroup, pattern: string, body: Node | null, line: number): void => {
    const failHere = (problem: string, remedy?: string): never => fail(line, problem, remedy);
    if (!HOST_NAME.test(pattern)) failHere(`invalid host name "${pattern}"`, 'a host is a name or address, optionally with [a:b] ranges and :port');
    const size = hostPatternSize(pattern);
    if (size > MAX_RANGE_HOSTS) failHere(`"${pattern}" expands to ${size.toLocaleString('en')} hosts, more than the ${MAX_RANGE_HOSTS.toLocaleString('en')} one range may`, 'split the range or check its bounds');
    hostEntries += size;
    if (hostEntries > MAX_HOST_ENTRIES) failHere(`the inventory lists more than ${MAX_HOST_ENTRIES.toLocaleString('en')} hosts`, 'split it into several inventories');
    const { names, port } = hostNames(pattern, failHere);
    // host:port first, so an ansible_port variable of the host wins, as in Ansible
    const vars = new Map<string, VarDef>(port === undefined ? [] : [['ansible_port', { value: port, ...at(line) }]]);
    for (const [k, v] of readVars(body, `host "${pattern}"`, line)) vars.set(k, v);
    let members = groupHosts.get(group);
    if (!members) groupHosts.set(group, (members = new Set(group.hosts)));
    for (const name of names) {
      let host = inv.hosts.get(name);
      if (!host) inv.hosts.set(name, (host = { name, vars: new Map(), ...at(line) }));
      for (const [k, v] of vars) host.vars.set(k, v);
      if (!members.has(name)) {
        members.add(name);
        group.hosts.push(name);
      }
    }
  };

  /** `hosts:` and `children:` take a mapping of names, or one name alone (Ansible reads `hosts: web1` so). */
  const namesUnder = (section: Node | null, what: 'hosts' | 'children', group: string, line: number): Entry[] => {
    if (doc.isNull(section)) return [];
    if (yaml().isScalar(section) && typeof section.value === 'string') return [{ name: section.value, value: null, line: doc.line(section) }];
    if (yaml().isMap(section)) return doc.entries(section);
    const remedy = what === 'hosts' ? 'write each host as "name:" on a line of its own, its variables indented under it' : 'write each child group as "name:" on a line of its own';
    return fail(doc.line(section, line), `${what} of group "${group}" must be a mapping of ${what === 'hosts' ? 'host' : 'group'} names, not ${describe(section!)}`, remedy);
  };

  const readGroup = (name: string, body: Node | null, line: number, depth: number): void => {
    if (!GROUP_NAME.test(name)) fail(line, `invalid group name "${name}"`, 'use letters, digits, _ and -, starting with a letter or _');
    const group = groupOf(inv, name, at(line));
    group.declared = true;
    const node = doc.deref(body);
    if (doc.isNull(node)) return;
    if (!yaml().isMap(node)) fail(doc.line(node, line), `group "${name}" must be a mapping of hosts, vars and children, not ${describe(node!)}`, 'write "hosts:", "vars:" or "children:" indented under the group');
    for (const entry of doc.entries(node as YAMLMap)) {
      const section = doc.deref(entry.value);
      if (entry.name === 'vars') {
        for (const [k, v] of readVars(entry.value, `group "${name}"`, entry.line)) group.vars.set(k, v);
      } else if (entry.name === 'hosts') {
        for (const host of namesUnder(section, 'hosts', name, entry.line)) addHosts(group, host.name, host.value, host.line);
      } else if (entry.name === 'children') {
        for (const child of namesUnder(section, 'children', name, entry.line)) {
          if (child.name === 'all') fail(child.line, 'group "all" cannot be a child: it holds every group', `remove it from the children of "${name}"`);
          if (depth + 1 > MAX_GROUP_DEPTH) fail(child.line, `children nest more than ${MAX_GROUP_DEPTH} levels deep`, 'flatten the groups');
          readGroup(child.name, child.value, child.line, depth + 1);
          if (!group.children.includes(child.name)) group.children.push(child.name);
          const edge = `${name}\n${child.name}`;
          if (!childAt.has(edge)) childAt.set(edge, child.line);
        }
      } else {
        const hint = entry.name.includes('.') || doc.isNull(section) ? '; hosts go under "hosts:"' : '';
        fail(entry.line, `unknown key "${entry.name}" in group "${name}"`, `a group has only hosts, vars and children${hint}`);
      }
    }
  };

  const top = doc.deref(doc.root);
  if (doc.isNull(top)) fail(1, 'the YAML inventory is empty', 'start with "all:" and put "hosts:" under it');
  if (!yaml().isMap(top)) fail(doc.line(top), `a YAML inventory is a mapping of groups, not ${describe(top!)}`, 'start with "all:" and put "hosts:" and "children:" under it');
  const groups = doc.entries(top as YAMLMap);
  const plugin = groups.find((g) => g.name === 'plugin');
  if (plugin) fail(plugin.line, 'this is the configuration of an inventory plugin, not an inventory', 'st2prov reads static inventories; export one with ansible-inventory -i <this file> --list -y');
  for (const group of groups) readGroup(group.name, group.value, group.line, 0);
  checkGroupGraph(inv, childAt);
  return inv;
}

/**
 * Refuses a group that is its own ancestor, and chains of children longer than
 * MAX_GROUP_DEPTH, also when groups name each other as children from separate places.
 */
function checkGroupGraph(inv: ParsedInventory, childAt: Map<string, number>): void {
  const height = new Map<string, number>();
  const path: string[] = [];
  const fail = (child: string, problem: string, remedy: string): never => {
    const parent = path[path.length - 1]!;
    throw new InventoryError(inv.file, childAt.get(`${parent}\n${child}`) ?? inv.groups.get(child)!.line, problem, remedy);
  };
  const visit = (name: string): number => {
    const known = height.get(name);
    if (known !== undefined) {
      if (path.length + known > MAX_GROUP_DEPTH) fail(name, `children nest more than ${MAX_GROUP_DEPTH} levels deep (${shortPath([...path, name])} …)`, 'flatten the groups');
      return known;
    }
    const start = path.indexOf(name);
    if (start >= 0) fail(name, `group "${name}" is its own ancestor (${[...path.slice(start), name].join(' → ')})`, 'remove one of these children entries');
    if (path.length > MAX_GROUP_DEPTH) fail(name, `children nest more than ${MAX_GROUP_DEPTH} levels deep (${shortPath([...path, name])})`, 'flatten the groups');
    path.push(name);
    let below = 0;
    for (const child of inv.groups.get(name)!.children) below = Math.max(below, visit(child) + 1);
    path.pop();
    height.set(name, below);
    return below;
  };
  for (const name of inv.groups.keys()) visit(name);
}

function shortPath(names: string[]): string {
  return names.length <= 6 ? names.join(' → ') : [...names.slice(0, 3), '…', ...names.slice(-2)].join(' → ');
}
