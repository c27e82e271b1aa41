import { UsageError } from '../core/errors.js';
import { globToRegExp } from '../core/glob.js';

/**
 * Ansible host patterns: `a,b` or `a:b` for union, `&g` intersection, `!g` exclusion,
 * globs (`web*`, `node-?`) and `~regex`, each term matching a group name or a host name.
 */
export interface PatternSource {
  /** hosts in inventory order */
  readonly hostNames: readonly string[];
  /** hosts of a group (with its children), or undefined when no such group */
  membersOf(group: string): readonly string[] | undefined;
  readonly groupNames: readonly string[];
}

export function matchPattern(source: PatternSource, pattern: string): { hosts: string[]; unmatched: string[] } {
  const terms = splitTerms(pattern);
  const include = new Set<string>();
  const intersections: Set<string>[] = [];
  const exclude = new Set<string>();
  const unmatched: string[] = [];
  for (const term of terms) {
    const op = term[0] === '!' || term[0] === '&' ? term[0] : '';
    const body = op ? term.slice(1) : term;
    const matched = matchTerm(source, body);
    if (matched.length === 0) unmatched.push(term);
    if (op === '!') matched.forEach((h) => exclude.add(h));
    else if (op === '&') intersections.push(new Set(matched));
    else matched.forEach((h) => include.add(h));
  }
  const hosts = source.hostNames.filter(
    (h) => include.has(h) && !exclude.has(h) && intersections.every((s) => s.has(h)),
  );
  return { hosts, unmatched };
}

function splitTerms(pattern: string): string[] {
  // A colon separates terms unless the term is a regex (~...) which may contain colons.
  const parts = pattern.includes(',') ? pattern.split(',') : pattern.split(/:(?![^[]*\])/);
  return parts.map((p) => p.trim()).filter((p) => p !== '');
}

function matchTerm(source: PatternSource, body: string): string[] {
  if (body === 'all' || body === '*') return [...source.hostNames];
  if (body.startsWith('~')) {
    let re: RegExp;
    try {
      re = new RegExp(body.slice(1));
    } catch (err) {
      throw new UsageError(`--limit "${body}" is not a valid regular expression: ${(err as Error).message}`, 'write ~ followed by a JavaScript regular expression, e.g. ~st2-multi-node-[12]');
    }
    return unionOf(source, (name) => re.test(name));
  }
  if (/[*?[]/.test(body)) {
    const re = globToRegExp(body, { classes: true });
    return unionOf(source, (name) => re.test(name));
  }
  const members = source.membersOf(body);
  if (members) return [...members];
  return source.hostNames.includes(body) ? [body] : [];
}

function unionOf(source: PatternSource, test: (name: string) => boolean): string[] {
  const out = new Set<string>();
  for (const group of source.groupNames) if (test(group)) source.membersOf(group)!.forEach((h) => out.add(h));
  for (const host of source.hostNames) if (test(host)) out.add(host);
  return [...out];
}
