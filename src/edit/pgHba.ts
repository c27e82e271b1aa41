import { fromLines, toLines } from './lines.js';

/** One pg_hba.conf record of the `host` family. */
export interface HbaRule {
  type: 'host' | 'hostssl' | 'hostnossl' | 'local';
  database: string;
  user: string;
  /** CIDR address; absent for `local` */
  address?: string;
  method: string;
  options?: string;
}

/**
 * Ensures a rule is present once. A record for the same type, database, user and address is
 * the same rule: its method and options are updated in place (first match wins in pg_hba,
 * so the position is kept), and repeats of it are removed. A new rule is appended.
 */
export function ensureHbaRule(text: string, rule: HbaRule): string {
  const lines = toLines(text);
  const wanted = formatRule(rule);
  const same: number[] = [];
  lines.forEach((line, i) => {
    const fields = recordFields(line);
    if (fields && sameTarget(fields, rule)) same.push(i);
  });
  if (same.length === 0) return fromLines([...lines, wanted]);
  const out = [...lines];
  const first = recordFields(out[same[0]!])!;
  const current = { method: first[rule.type === 'local' ? 3 : 4], options: first.slice(rule.type === 'local' ? 4 : 5).join(' ') };
  if (current.method !== rule.method || current.options !== (rule.options ?? '')) out[same[0]!] = wanted;
  const drop = new Set(same.slice(1));
  return fromLines(out.filter((_, i) => !drop.has(i)));
}

export function formatRule(rule: HbaRule): string {
  const fields = [rule.type, rule.database, rule.user, ...(rule.type === 'local' ? [] : [rule.address ?? '']), rule.method, ...(rule.options ? [rule.options] : [])];
  return fields.join('\t');
}

function recordFields(line: string): string[] | undefined {
  const body = line.replace(/#.*$/, '').trim();
  if (!body) return undefined;
  return body.split(/\s+/);
}

function sameTarget(fields: string[], rule: HbaRule): boolean {
  if (fields[0] !== rule.type || fields[1] !== rule.database || fields[2] !== rule.user) return false;
  return rule.type === 'local' || normalizeAddress(fields[3] ?? '') === normalizeAddress(rule.address ?? '');
}

/** 10.0.3.1/24 and 10.0.3.0/24 name the same network for PostgreSQL. */
export function normalizeAddress(address: string): string {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(address);
  if (!m) return address;
  const bits = Number(m[5]);
  const ip = m.slice(1, 5).reduce((acc, o) => (acc << 8) + Number(o), 0) >>> 0;
  const maskBits = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  const net = (ip & maskBits) >>> 0;
  return `${[24, 16, 8, 0].map((s) => (net >>> s) & 255).join('.')}/${bits}`;
}
