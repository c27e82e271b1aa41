import { MAX_RANGE_HOSTS } from './limits.js';

/**
 * Expands Ansible host ranges: `node[1:3]`, `node[01:10:2]` (zero padding kept), `db-[a:c]`.
 * Several ranges in one name multiply out; the count is known before anything is expanded,
 * so a pattern that would make too many names is refused at once (limits.ts). Errors are plain strings;
 * the parser adds file:line.
 */

interface Range {
  from: number;
  to: number;
  step: number;
  letters: boolean;
  /** zero padding of numbers: the width of the start as written */
  width: number;
}

export function expandHostPattern(name: string): string[] | string {
  const pieces = name.split(/\[([^\]]*)\]/);
  const ranges: Range[] = [];
  for (let i = 1; i < pieces.length; i += 2) {
    const range = parseRange(pieces[i]!);
    if (typeof range === 'string') return range;
    ranges.push(range);
  }
  const count = sizeOf(ranges);
  if (count > MAX_RANGE_HOSTS) return `"${name}" expands to ${count > 1e15 ? 'more than 10^15' : count.toLocaleString('en')} hosts, more than the ${MAX_RANGE_HOSTS.toLocaleString('en')} one range may`;
  let names = [pieces[0]!];
  ranges.forEach((range, i) => {
    const values = valuesOf(range);
    names = names.flatMap((head) => values.map((v) => `${head}${v}${pieces[2 * i + 2]!}`));
  });
  return names;
}

/**
 * How many names a host pattern expands to, computed without expanding it, so a huge range
 * can be refused first. A malformed range counts as one name: expandHostPattern reports it.
 */
export function hostPatternSize(name: string): number {
  const ranges = [...name.matchAll(/\[([^\]]*)\]/g)].map((m) => parseRange(m[1]!)).filter((r): r is Range => typeof r !== 'string');
  return sizeOf(ranges);
}

function sizeOf(ranges: readonly Range[]): number {
  return ranges.reduce((n, r) => n * (Math.floor((r.to - r.from) / r.step) + 1), 1);
}

function parseRange(spec: string): Range | string {
  const parts = spec.split(':');
  if (parts.length < 2 || parts.length > 3) return `bad range [${spec}]: expected [start:end] or [start:end:step]`;
  const [start, end, stepText] = parts as [string, string, string | undefined];
  const step = stepText === undefined || stepText === '' ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step <= 0) return `bad range step "${stepText}" in [${spec}]`;
  let range: Range;
  if (/^\d+$/.test(start) && /^\d+$/.test(end)) {
    range = { from: Number(start), to: Number(end), step, letters: false, width: start.length > 1 && start.startsWith('0') ? start.length : 0 };
  } else if ((/^[a-z]$/.test(start) && /^[a-z]$/.test(end)) || (/^[A-Z]$/.test(start) && /^[A-Z]$/.test(end))) {
    range = { from: start.charCodeAt(0), to: end.charCodeAt(0), step, letters: true, width: 0 };
  } else {
    return `bad range [${spec}]: bounds must be two numbers or two letters`;
  }
  if (range.from > range.to) return `range [${spec}] runs backwards`;
  return range;
}

function valuesOf(r: Range): string[] {
  const out: string[] = [];
  for (let n = r.from; n <= r.to; n += r.step) out.push(r.letters ? String.fromCharCode(n) : r.width ? String(n).padStart(r.width, '0') : String(n));
  return out;
}
