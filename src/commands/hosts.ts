import { once } from 'node:events';
import { isSecret, MASK, masked } from '../core/secret.js';
import { selectRun, type SelectionOptions } from '../inventory/selection.js';
import { VARIABLES, isSecretName, isVariable, type VariableName } from '../inventory/variables.js';

/**
 * `st2prov hosts`: the resolved inventory as st2prov reads it. Each host with its role and
 * groups, the variables set for it (typed: booleans, numbers, lists) and where each was
 * set; then the cluster-wide settings, defaults included. Secrets masked; a bad value is
 * refused with its file:line like in every other command.
 */
export async function hostsCommand(options: SelectionOptions & { json: boolean }, io: { out: NodeJS.WritableStream; err: NodeJS.WritableStream } = { out: process.stdout, err: process.stderr }): Promise<number> {
  const { inventory, settled, hosts } = selectRun(options);
  for (const warning of settled.warnings) io.err.write(`st2prov: warning: ${warning}\n`);
  const typed = (h: (typeof hosts)[number], key: string): unknown =>
    isVariable(key) ? h.settings[key] : isSecretName(key) && !isSecret(h.vars[key]) ? MASK : h.vars[key];
  const clusterKeys = (Object.keys(VARIABLES) as VariableName[]).filter((k) => VARIABLES[k].scope === 'cluster');
  // written a host at a time, as fast as the reader takes it (a pipe would buffer the rest): a
  // variable every host inherits can make the whole output far larger than the inventory, and
  // only one host's part is ever held in memory
  const print = async (text: string) => {
    if (!io.out.write(text)) await once(io.out, 'drain');
  };
  if (options.json) {
    const hostJson = (h: (typeof hosts)[number]) => ({ name: h.name, role: h.role ?? null, groups: h.groups, vars: Object.fromEntries(Object.keys(h.vars).map((k) => [k, typed(h, k)])), origins: h.origins });
    const doc = {
      inventory: inventory.file,
      hosts: HOSTS_HERE,
      groups: Object.fromEntries([...inventory.groups].map(([name, g]) => [name, { hosts: g.hosts, children: g.children, vars: g.vars }])),
      cluster: Object.fromEntries(clusterKeys.map((k) => [k, { value: settled.settings[k] ?? null, origin: settled.origins[k] }])),
    };
    const [head, tail] = JSON.stringify(masked(doc), null, 2).split(JSON.stringify(HOSTS_HERE)) as [string, string];
    await print(hosts.length ? `${head}[\n` : `${head}[]`);
    for (const [i, h] of hosts.entries()) await print(`${JSON.stringify(masked(hostJson(h)), null, 2).replace(/^/gm, '    ')}${i < hosts.length - 1 ? ',' : ''}\n`);
    await print(`${hosts.length ? '  ]' : ''}${tail}\n`);
    return 0;
  }
  for (const h of hosts) {
    const lines = [`${h.name}  role=${h.role ?? '-'}  groups=${h.groups.filter((g) => g !== 'all').join(',') || '-'}`];
    for (const key of Object.keys(h.vars).sort()) {
      lines.push(`    ${key} = ${display(typed(h, key))}    # ${h.origins[key]}${isVariable(key) ? '' : ' (not a st2prov variable)'}`);
    }
    await print(`${lines.join('\n')}\n`);
  }
  const lines: string[] = ['', 'groups:'];
  for (const [name, g] of inventory.groups) {
    if (g.hosts.length === 0 && g.children.length === 0 && name === 'ungrouped') continue;
    lines.push(`    ${name}: ${g.hosts.join(', ') || '-'}${g.children.length ? `  (children: ${g.children.join(', ')})` : ''}`);
  }
  lines.push('', 'cluster settings (the same on every host):');
  for (const key of clusterKeys) lines.push(`    ${key} = ${display(settled.settings[key])}    # ${settled.origins[key]}`);
  await print(`${lines.join('\n')}\n`);
  return 0;
}

/** Where the hosts go in the JSON document, written one by one. */
const HOSTS_HERE = '\u0000st2prov-hosts\u0000';

function display(value: unknown): string {
  if (value === undefined) return '-';
  const m = masked(value);
  return typeof m === 'string' ? m : JSON.stringify(m);
}
