import { dirname, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { loadInventory, ROLES, type Host, type Inventory } from '../inventory/inventory.js';

export interface SelectionOptions {
  inventory: string;
  limit?: string;
  role?: string;
  extraVars: string[];
}

/** Loads the inventory and picks the hosts of this run: --limit, then --role. */
export function selectHosts(options: SelectionOptions): { inventory: Inventory; hosts: Host[] } {
  const inventory = loadInventory(options.inventory, { extraVars: parseExtraVars(options.extraVars) });
  let names = inventory.hosts.map((h) => h.name);
  if (options.limit) names = inventory.select(options.limit);
  if (options.role) {
    if (!(ROLES as readonly string[]).includes(options.role)) throw new UsageError(`unknown role "${options.role}"`, `use ${ROLES.join(' or ')}`);
    names = names.filter((n) => inventory.hosts.find((h) => h.name === n)!.role === options.role);
  }
  if (names.length === 0) throw new UsageError(`no host of ${options.inventory} is selected`, 'check --limit and --role against `st2prov hosts`');
  return { inventory, hosts: inventory.hosts.filter((h) => names.includes(h.name)) };
}

export function parseExtraVars(pairs: readonly string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new UsageError(`-e "${pair}" is not key=value`, 'write -e name=value');
    vars[pair.slice(0, at)] = pair.slice(at + 1);
  }
  return vars;
}

/** Where the control machine's packs live: packs_dir, relative to the inventory; default ./packs beside it. */
export function packsDirOf(inventory: Inventory): string {
  const all = inventory.groups.get('all')?.vars ?? {};
  return resolve(dirname(resolve(inventory.file)), String(all.packs_dir ?? 'packs'));
}
