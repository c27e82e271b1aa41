import { masked } from '../secrets.js';
import { selectHosts, type SelectionOptions } from './select.js';

/** `st2prov hosts`: the resolved inventory, secrets masked. */
export function hostsCommand(options: SelectionOptions & { json: boolean }, out: NodeJS.WritableStream = process.stdout): number {
  const { inventory, hosts } = selectHosts(options);
  if (options.json) {
    const doc = {
      inventory: inventory.file,
      hosts: hosts.map((h) => ({ name: h.name, role: h.role ?? null, groups: h.groups, vars: h.vars, origins: h.origins })),
      groups: Object.fromEntries([...inventory.groups].map(([name, g]) => [name, { hosts: g.hosts, children: g.children, vars: g.vars }])),
    };
    out.write(`${JSON.stringify(masked(doc), null, 2)}\n`);
    return 0;
  }
  const lines: string[] = [];
  for (const h of hosts) {
    lines.push(`${h.name}  role=${h.role ?? '-'}  groups=${h.groups.filter((g) => g !== 'all').join(',') || '-'}`);
    for (const key of Object.keys(h.vars).sort()) {
      lines.push(`    ${key} = ${display(h.vars[key])}    # ${h.origins[key]}`);
    }
  }
  lines.push('', 'groups:');
  for (const [name, g] of inventory.groups) {
    if (g.hosts.length === 0 && g.children.length === 0 && name === 'ungrouped') continue;
    lines.push(`    ${name}: ${g.hosts.join(', ') || '-'}${g.children.length ? `  (children: ${g.children.join(', ')})` : ''}`);
  }
  out.write(`${lines.join('\n')}\n`);
  return 0;
}

function display(value: unknown): string {
  const m = masked(value);
  return typeof m === 'string' ? m : JSON.stringify(m);
}
