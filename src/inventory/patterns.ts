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
  const terms = patternTerms(pattern);
  const include = new Set<string>();
  const intersections: Set<string>[] = [];
  const exclude = new Set<string>();
  const unmatched: string[] = [];
  for (const term of terms) {
    const op = term[0] === '!' || term[0] === '&' ? term[0] : '';
    const body = op ? term.slice(1).trim() : term;
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

/**
 * The terms of a pattern, each one saying something. A limit that says nothing is refused,
 * not read as no limit: `--limit "$HOSTS"` with HOSTS unset would otherwise select every host
 * (Ansible 2.14 does so for "", "," and " "; its issues 83264 and 85278). The same holds
 * inside a list: an empty term ("a,,b", a trailing ","), an operator with nothing after it
 * ("all:!" excludes nothing, so it selects all), and "~" with no regex (which matches every name).
 */
export function patternTerms(pattern: string): string[] {
  const remedy = 'name hosts or groups (`st2prov hosts` lists them), or leave --limit out to select every host';
  if (pattern.trim() === '') throw new UsageError(`--limit "${pattern}" is empty: it would select every host`, remedy);
  const separator = pattern.includes(',') ? ',' : ':';
  // a colon separates terms unless it stands inside a range (node[1:3])
  const terms = (separator === ',' ? pattern.split(',') : pattern.split(/:(?![^[]*\])/)).map((t) => t.trim());
  if (terms.every((t) => t === '')) throw new UsageError(`--limit "${pattern}" holds no pattern, only "${separator}": it would select every host`, remedy);
  terms.forEach((term, i) => {
    const where = `--limit "${pattern}": pattern ${i + 1} of ${terms.length}`;
    if (term === '') throw new UsageError(`${where} is empty`, `remove the extra "${separator}", or give the name that should stand there (an unset shell variable?)`);
    const op = term[0] === '!' || term[0] === '&' ? term[0] : '';
    const body = term.slice(op.length).trim();
    if (op && body === '') throw new UsageError(`${where} is "${op}" with nothing after it, which ${op === '!' ? 'excludes no host' : 'intersects with nothing'}`, `write ${op}NAME, or leave the term out`);
    if (body === '~') throw new UsageError(`${where} is "~" with no regular expression, which matches every name`, 'write ~ followed by a regular expression, e.g. ~st2-multi-node-[12]');
  });
  return terms;
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
