import { resolve } from 'node:path';
import { byName } from '../core/byName.js';
import { InventoryError, UsageError } from '../core/errors.js';
import { Secret } from '../core/secret.js';
import { parseInventoryFile } from './format.js';
import { MAX_GROUP_DEPTH } from './limits.js';
import { type ParsedInventory, type VarDef } from './parse.js';
import { matchPattern, type PatternSource } from './patterns.js';
import { isSecretName } from './variables.js';

export const ROLES = ['controller', 'blueprint'] as const;
export type Role = (typeof ROLES)[number];


export interface Host {
  name: string;
  /** groups the host belongs to, directly or through children, `all` first */
  groups: string[];
  role: Role | undefined;
  /** the effective variables; like origins, an object without a prototype (core/byName.ts): read it with Object.hasOwn */
  vars: Record<string, unknown>;
  /** where each effective variable came from: a file:line, or "-e" */
  origins: Record<string, string>;
}

export interface Inventory {
  file: string;
  /** folder beside the inventory for generated secrets and remembered handlers */
  stateDir: string;
  hosts: Host[];
  groups: Map<string, { hosts: string[]; children: string[]; vars: Record<string, unknown> }>;
  select(pattern: string): string[];
  /** where `env:NAME` values are read from */
  env: NodeJS.ProcessEnv;
}

export interface LoadOptions {
  extraVars?: Record<string, string>;
  env?: NodeJS.ProcessEnv;
}

export function loadInventory(file: string, options: LoadOptions = {}): Inventory {
  return resolveInventory(parseInventoryFile(file), options);
}

export function resolveInventory(parsed: ParsedInventory, options: LoadOptions = {}): Inventory {
  const env = options.env ?? process.env;
  const groups = parsed.groups;
  for (const name of ['all', 'ungrouped']) {
    if (!groups.has(name)) groups.set(name, { name, hosts: [], children: [], vars: new Map(), declared: false, file: parsed.file, line: 0 });
  }
  const depth = groupDepths(parsed);
  const members = new Map<string, string[]>();
  const membersOf = (name: string, seen: string[] = []): string[] => {
    const cached = members.get(name);
    if (cached) return cached;
    const group = groups.get(name)!;
    if (seen.includes(name)) {
      throw new InventoryError(group.file, group.line, `group "${name}" is its own ancestor (${[...seen, name].join(' → ')})`);
    }
    const set = new Set(group.hosts);
    for (const child of group.children) membersOf(child, [...seen, name]).forEach((h) => set.add(h));
    const ordered = [...parsed.hosts.keys()].filter((h) => set.has(h) || name === 'all');
    members.set(name, ordered);
    return ordered;
  };
  const hostNames = [...parsed.hosts.keys()];
  const groupNames = [...groups.keys()];
  groupNames.forEach((g) => membersOf(g));
  // ungrouped: hosts that belong to no group other than all/ungrouped
  const grouped = new Set(groupNames.filter((g) => g !== 'all' && g !== 'ungrouped').flatMap((g) => members.get(g)!));
  members.set('ungrouped', hostNames.filter((h) => !grouped.has(h)));

  const extra = options.extraVars ?? {};
  const hosts: Host[] = hostNames.map((name) => {
    const memberOf = groupNames
      .filter((g) => members.get(g)!.includes(name))
      .sort((a, b) => depth.get(a)! - depth.get(b)! || (a === 'all' ? -1 : b === 'all' ? 1 : a.localeCompare(b)));
    const defs = new Map<string, VarDef | { value: unknown; origin: string }>();
    for (const g of memberOf) for (const [k, v] of groups.get(g)!.vars) defs.set(k, v);
    for (const [k, v] of parsed.hosts.get(name)!.vars) defs.set(k, v);
    for (const [k, v] of Object.entries(extra)) defs.set(k, { value: v, origin: '-e' });
    const vars = byName<unknown>();
    const origins = byName<string>();
    for (const [k, def] of defs) {
      const origin = 'origin' in def ? def.origin : `${def.file}:${def.line}`;
      vars[k] = resolveValue(k, def.value, env, origin);
      origins[k] = origin;
    }
    const roles = ROLES.filter((r) => memberOf.includes(r));
    if (roles.length > 1) {
      const at = parsed.hosts.get(name)!;
      throw new InventoryError(at.file, at.line, `host "${name}" is in both the controller and the blueprint group`, 'a host has one role');
    }
    return { name, groups: memberOf, role: roles[0], vars, origins };
  });

  const source: PatternSource = { hostNames, groupNames, membersOf: (g) => members.get(g) };
  const groupView = new Map(
    groupNames.map((g) => {
      const group = groups.get(g)!;
      const vars = byName([...group.vars].map(([k, v]) => [k, resolveValue(k, v.value, env, `${v.file}:${v.line}`)] as const));
      return [g, { hosts: members.get(g)!, children: group.children, vars }] as const;
    }),
  );
  const abs = resolve(parsed.file);
  return {
    file: parsed.file,
    // inventory.ini and inventory.yml share inventory.st2prov: converting keeps the generated secrets
    stateDir: `${abs.replace(/\.(?:ini|ya?ml|json)$/, '')}.st2prov`,
    hosts,
    groups: groupView,
    env,
    select(pattern: string) {
      const { hosts: selected, unmatched } = matchPattern(source, pattern);
      if (unmatched.length > 0 && selected.length === 0) {
        throw new UsageError(`--limit "${pattern}" matches no host of ${parsed.file} (no match for ${unmatched.join(', ')})`, 'run `st2prov hosts` to see the names');
      }
      return selected;
    },
  };
}

function resolveValue(name: string, value: unknown, env: NodeJS.ProcessEnv, origin: string): unknown {
  if (typeof value === 'string' && value.startsWith('env:')) {
    const envName = value.slice(4);
    const found = env[envName];
    if (found === undefined) {
      const [file, line] = splitOrigin(origin);
      throw new InventoryError(file, line, `${name} refers to environment variable ${envName}, which is not set`, `export ${envName}=... before running st2prov`);
    }
    return isSecretName(name) ? new Secret(found) : found;
  }
  // null is YAML's empty value (`password:`): left out, like an empty INI value
  if (isSecretName(name) && value !== undefined && value !== null && value !== '') return new Secret(String(value));
  return value;
}

function splitOrigin(origin: string): [string, number] {
  const at = origin.lastIndexOf(':');
  return at > 0 ? [origin.slice(0, at), Number(origin.slice(at + 1))] : [origin, 0];
}

/** Depth of each group below `all`: Ansible applies shallower groups first, so deeper ones win. */
function groupDepths(parsed: ParsedInventory): Map<string, number> {
  const depth = new Map<string, number>([['all', 0]]);
  const parentsOf = new Map<string, string[]>();
  for (const g of parsed.groups.values()) for (const c of g.children) parentsOf.set(c, [...(parentsOf.get(c) ?? []), g.name]);
  const visit = (name: string, trail: string[]): number => {
    if (depth.has(name)) return depth.get(name)!;
    if (trail.includes(name)) {
      const g = parsed.groups.get(name)!;
      throw new InventoryError(g.file, g.line, `group "${name}" is its own ancestor (${[...trail, name].join(' → ')})`);
    }
    // a top-level group is at depth 1: its children nest (depth - 1) levels below it
    const tooDeep = () => {
      const g = parsed.groups.get(name)!;
      return new InventoryError(g.file, g.line, `children nest more than ${MAX_GROUP_DEPTH} levels deep (group "${name}")`, 'flatten the groups');
    };
    if (trail.length > MAX_GROUP_DEPTH + 1) throw tooDeep();
    const parents = parentsOf.get(name) ?? [];
    const d = parents.length === 0 ? 1 : Math.max(...parents.map((p) => visit(p, [...trail, name]))) + 1;
    if (d - 1 > MAX_GROUP_DEPTH) throw tooDeep();
    depth.set(name, d);
    return d;
  };
  for (const name of parsed.groups.keys()) visit(name, []);
  return depth;
}
