import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { ClusterHost } from '../core/context.js';
import { InventoryError, UsageError } from '../core/errors.js';
import { isSecret } from '../core/secret.js';
import type { Host, Inventory } from './inventory.js';
import { LOCAL_PATHS, SettingProblem, VARIABLES, isVariable, type Settings, type Variable, type VariableName } from './variables.js';

export interface SettledInventory {
  /** every host of the inventory, in inventory order, with its typed settings */
  hosts: ClusterHost[];
  /** the cluster-wide settings: the same on every host */
  settings: Settings;
  /** where each cluster-wide value came from ("file:line", "-e" or "default") */
  origins: Record<VariableName, string>;
  /** variables one edit away from a known one: probably typos */
  warnings: string[];
}

const NAMES = Object.keys(VARIABLES) as VariableName[];
const SPECS = VARIABLES as Record<VariableName, Variable<unknown>>;

/**
 * Parses every known variable of every host once, with its type and default, and checks
 * that cluster-wide variables agree: a value set on some hosts (say [blueprint:vars]) holds
 * for the whole cluster, and two hosts that set it differently are an error naming both
 * places. A bad value is an error naming the file:line that wrote it.
 */
export function settle(inventory: Inventory): SettledInventory {
  const base = dirname(resolve(inventory.file));
  const cluster = {} as Record<VariableName, unknown>;
  const origins = {} as Record<VariableName, string>;
  for (const name of NAMES.filter((n) => SPECS[n].scope === 'cluster')) {
    let chosen: { value: unknown; origin: string } | undefined;
    for (const host of inventory.hosts) {
      if (!isSet(host, name)) continue;
      const value = parseOne(host, name, base, inventory.env);
      const origin = host.origins[name]!;
      if (!chosen) chosen = { value, origin };
      else if (!sameValue(chosen.value, value)) {
        const values = SPECS[name].secret ? 'differs from the one' : `is "${display(value)}" here but "${display(chosen.value)}"`;
        throw problemAt(origin, `${name} ${values} at ${chosen.origin}: a cluster has one ${name}`, 'set it once, in [all:vars], or the same everywhere');
      }
    }
    cluster[name] = chosen ? chosen.value : withBase(name, SPECS[name].fallback, base);
    origins[name] = chosen?.origin ?? 'default';
  }
  agree(cluster as Settings, origins);
  const hosts = inventory.hosts.map((host): ClusterHost => {
    const settings = { ...cluster } as Record<VariableName, unknown>;
    for (const name of NAMES.filter((n) => SPECS[n].scope === 'host')) {
      settings[name] = isSet(host, name) ? parseOne(host, name, base, inventory.env) : SPECS[name].fallback;
    }
    const typed = settings as Settings;
    return { name: host.name, role: host.role, groups: host.groups, address: typed.ansible_host ?? host.name, settings: typed, vars: host.vars, origins: host.origins };
  });
  return { hosts, settings: cluster as Settings, origins, warnings: typos(inventory.hosts) };
}

/** Set, and not YAML's empty value (`password:`), which leaves a variable out like an empty INI value. */
function isSet(host: Host, name: VariableName): boolean {
  return Object.hasOwn(host.vars, name) && host.vars[name] !== null;
}

function parseOne(host: Host, name: VariableName, base: string, env: NodeJS.ProcessEnv): unknown {
  try {
    return withBase(name, SPECS[name].parse(host.vars[name], { env }), base);
  } catch (err) {
    if (!(err instanceof SettingProblem)) throw err;
    throw problemAt(Object.hasOwn(host.origins, name) ? host.origins[name]! : '-e', `${name}: ${err.message}`, err.remedy);
  }
}

function withBase(name: VariableName, value: unknown, base: string): unknown {
  if (typeof value !== 'string' || !(LOCAL_PATHS as readonly string[]).includes(name)) return value;
  const home = value.startsWith('~/') ? `${process.env.HOME ?? ''}${value.slice(1)}` : value;
  return isAbsolute(home) ? home : resolve(base, home);
}

/** An error at the place that wrote a value: an inventory file:line, or -e on the command line. */
export function problemAt(origin: string, problem: string, remedy?: string): Error {
  if (origin === '-e') return new UsageError(`-e ${problem}`, remedy);
  const at = origin.lastIndexOf(':');
  return new InventoryError(origin.slice(0, at), Number(origin.slice(at + 1)), problem, remedy);
}

function sameValue(a: unknown, b: unknown): boolean {
  // secrets compared by value, also inside lists and mappings (st2_auth_users' passwords)
  const plain = (v: unknown) => JSON.stringify(v, function (this: Record<string, unknown>, key) {
    const original = this[key];
    return isSecret(original) ? `secret:${original.reveal()}` : original;
  });
  return plain(a) === plain(b);
}

/** Settings that must agree with each other, refused at the place that wrote the one in the way. */
function agree(s: Settings, origins: Record<VariableName, string>): void {
  const at = (name: VariableName) => (origins[name] === 'default' ? undefined : origins[name]);
  if (s.st2_auth_users.some((u) => u.name === s.st2_auth_username)) {
    throw problemAt(at('st2_auth_users')!, `st2_auth_users lists "${s.st2_auth_username}", the user st2_auth_username already is (its password is st2_auth_password)`, 'leave it out of st2_auth_users');
  }
  // the sync would overwrite what st2-pack-install put there, and the reinstall the sync's files, run after run
  const synced = s.st2_packs.find((p) => existsSync(join(s.packs_dir, p.name)));
  if (synced) throw problemAt(origins.st2_packs, `st2_packs declares ${synced.name}, which ${join(s.packs_dir, synced.name)} also holds: one pack from two sources`, 'keep it in one place: the folder in packs_dir, or the entry in st2_packs');
  if (s.st2_auth_backend !== 'ldap') return;
  const missing = ([
    ['st2_auth_ldap_host', s.st2_auth_ldap_host.length > 0],
    ['st2_auth_ldap_bind_dn', s.st2_auth_ldap_bind_dn !== undefined],
    ['st2_auth_ldap_bind_password', s.st2_auth_ldap_bind_password !== undefined],
    ['st2_auth_ldap_base_ou', s.st2_auth_ldap_base_ou !== undefined],
    ['st2_auth_ldap_group_dns', s.st2_auth_ldap_group_dns.length > 0],
  ] as const).filter(([, set]) => !set).map(([name]) => name);
  if (missing.length > 0) {
    throw problemAt(origins.st2_auth_backend, `st2_auth_backend is ldap, but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} not set`, 'set them where st2_auth_backend is set (the bind password as env:NAME), or use st2_auth_backend=flat_file');
  }
  if (s.st2_auth_ldap_use_ssl && s.st2_auth_ldap_use_tls) {
    throw problemAt(at('st2_auth_ldap_use_tls') ?? origins.st2_auth_backend, 'st2_auth_ldap_use_ssl and st2_auth_ldap_use_tls are both on: LDAPS and StartTLS exclude each other', 'keep one (use_ssl for ldaps:// on 636, use_tls for StartTLS on 389)');
  }
}

function display(value: unknown): string {
  // secrets inside (st2_auth_users' passwords) show as their mask
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object')) return value.join(',');
  return typeof value === 'object' && value !== null && !isSecret(value) ? JSON.stringify(value) : String(value);
}

/** Unknown variables one edit (insertion, deletion, substitution, swap) from a known one. */
function typos(hosts: readonly Host[]): string[] {
  const seen = new Set<string>();
  const warnings: string[] = [];
  for (const host of hosts) {
    for (const variable of Object.keys(host.vars)) {
      if (isVariable(variable) || variable.length < 4) continue;
      const near = NAMES.find((known) => oneEditApart(variable, known));
      const origin = Object.hasOwn(host.origins, variable) ? host.origins[variable]! : '-e';
      if (!near || seen.has(`${variable}@${origin}`)) continue;
      seen.add(`${variable}@${origin}`);
      warnings.push(`${origin}: ${variable} is not a variable st2prov knows; did you mean ${near}?`);
    }
  }
  return warnings;
}

export function oneEditApart(a: string, b: string): boolean {
  if (a === b || Math.abs(a.length - b.length) > 1) return false;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  if (a.length === b.length) {
    if (a.slice(i + 1) === b.slice(i + 1)) return true; // substitution
    return a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2); // swap
  }
  const [long, short] = a.length > b.length ? [a, b] : [b, a];
  return long.slice(i + 1) === short.slice(i);
}
