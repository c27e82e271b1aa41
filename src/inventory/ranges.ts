/**
 * Expands Ansible host ranges: `node[1:3]`, `node[01:10:2]` (zero padding kept), `db-[a:c]`.
 * Several ranges in one name multiply out. Errors are plain strings; the parser adds file:line.
 */
export function expandHostPattern(name: string): string[] | string {
  const m = /^(.*?)\[([^\]]*)\](.*)$/.exec(name);
  if (!m) return [name];
  const [, head, spec, tail] = m as unknown as [string, string, string, string];
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) return `bad range [${spec}]: expected [start:end] or [start:end:step]`;
  const [start, end, stepText] = parts as [string, string, string | undefined];
  const step = stepText === undefined || stepText === '' ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step <= 0) return `bad range step "${stepText}" in [${spec}]`;
  let items: string[];
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    const from = Number(start);
    const to = Number(end);
    if (from > to) return `range [${spec}] runs backwards`;
    const width = start.length > 1 && start.startsWith('0') ? start.length : 0;
    items = [];
    for (let n = from; n <= to; n += step) items.push(width ? String(n).padStart(width, '0') : String(n));
  } else if (/^[a-z]$/.test(start) && /^[a-z]$/.test(end) || /^[A-Z]$/.test(start) && /^[A-Z]$/.test(end)) {
    const from = start.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (from > to) return `range [${spec}] runs backwards`;
    items = [];
    for (let c = from; c <= to; c += step) items.push(String.fromCharCode(c));
  } else {
    return `bad range [${spec}]: bounds must be two numbers or two letters`;
  }
  const out: string[] = [];
  for (const item of items) {
    const rest = expandHostPattern(`${item}${tail}`);
    if (typeof rest === 'string') return rest;
    for (const r of rest) out.push(`${head}${r}`);
  }
  return out;
}

/**
 * How many names a host pattern expands to, computed without expanding it, so a huge range
 * can be refused first. A malformed range counts as one name: expandHostPattern reports it.
 */
export function hostPatternSize(name: string): number {
  let size = 1;
  for (const match of name.matchAll(/\[([^\]]*)\]/g)) {
    const [start = '', end = '', stepText] = match[1]!.split(':');
    const step = stepText === undefined || stepText === '' ? 1 : Number(stepText);
    let from: number;
    let to: number;
    if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
      from = Number(start);
      to = Number(end);
    } else if (/^[a-zA-Z]$/.test(start) && /^[a-zA-Z]$/.test(end)) {
      from = start.charCodeAt(0);
      to = end.charCodeAt(0);
    } else {
      continue;
    }
    if (!Number.isInteger(step) || step <= 0 || from > to) continue;
    size *= Math.floor((to - from) / step) + 1;
  }
  return size;
}
