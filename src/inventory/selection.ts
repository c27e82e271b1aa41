import type { ClusterHost, ClusterView } from '../core/context.js';
import { byName } from '../core/byName.js';
import { UsageError } from '../core/errors.js';
import { isSecret, Secret } from '../core/secret.js';
import { loadInventory, ROLES, type Inventory } from './inventory.js';
import { settle, type SettledInventory } from './settings.js';
import { authUserOfSecret, isVariable } from './variables.js';

export interface SelectionOptions {
  inventory: string;
  limit?: string;
  role?: string;
  extraVars: string[];
}

/** An inventory loaded, typed and narrowed to the hosts of this run. */
export interface Selection {
  inventory: Inventory;
  settled: SettledInventory;
  /** the hosts of this run (after --limit, then --role), in inventory order */
  hosts: ClusterHost[];
  cluster: ClusterView;
}

/** Loads the inventory, parses its settings, and picks the hosts of this run: --limit, then --role. */
export function selectRun(options: SelectionOptions): Selection {
  const inventory = loadInventory(options.inventory, { extraVars: parseExtraVars(options.extraVars) });
  const settled = settle(inventory);
  let names = inventory.hosts.map((h) => h.name);
  // an empty --limit is refused by select(), not taken for no limit
  if (options.limit !== undefined) names = inventory.select(options.limit);
  if (options.role) {
    if (!(ROLES as readonly string[]).includes(options.role)) throw new UsageError(`unknown role "${options.role}"`, `use ${ROLES.join(' or ')}`);
    names = names.filter((n) => settled.hosts.find((h) => h.name === n)!.role === options.role);
  }
  if (names.length === 0) throw new UsageError(`no host of ${options.inventory} is selected`, 'check --limit and --role against `st2prov hosts`');
  return { inventory, settled, hosts: settled.hosts.filter((h) => names.includes(h.name)), cluster: clusterView(settled, names) };
}

/** The cluster as every host of a run sees it. */
export function clusterView(settled: SettledInventory, selected: readonly string[]): ClusterView {
  return {
    members: (group) => settled.hosts.filter((h) => h.groups.includes(group)),
    selected,
    settings: settled.settings,
  };
}

/**
 * A secret the inventory gives, by name: a cluster secret from the typed settings, or, for a
 * playbook of your own, the first host's variable of that name.
 */
export function givenSecret(selection: Selection, name: string): Secret | undefined {
  const user = authUserOfSecret(name);
  if (user !== undefined) return selection.settled.settings.st2_auth_users.find((u) => u.name === user)?.password;
  if (isVariable(name)) {
    const value: unknown = selection.settled.settings[name];
    return isSecret(value) ? value : undefined;
  }
  const raw = selection.settled.hosts.find((h) => Object.hasOwn(h.vars, name) && h.vars[name] !== undefined && h.vars[name] !== '')?.vars[name];
  return raw === undefined ? undefined : isSecret(raw) ? raw : new Secret(String(raw));
}

export function parseExtraVars(pairs: readonly string[]): Record<string, string> {
  // -e __proto__=x is a variable like any other
  const vars = byName<string>();
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`-e "${pair}" is not key=value`, 'write -e name=value');
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return vars;
}
