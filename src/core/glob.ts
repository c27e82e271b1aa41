import { onceEach } from './lazy.js';

/**
 * The one wildcard matcher: `*` any run of characters, `?` one character and, where the
 * syntax has them (Ansible's fnmatch patterns, not OpenSSH's), `[abc]`/`[!abc]` classes.
 */
export function globToRegExp(glob: string, options: { classes?: boolean } = {}): RegExp {
  return compiled(glob, options.classes === true);
}

// a pattern is matched against every host (known_hosts lines: hosts × lines): compiled once a run
const compiled = onceEach((glob: string, classes: boolean) => compile(glob, { classes }));

function compile(glob: string, options: { classes?: boolean }): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i]!;
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else if (ch === '[' && options.classes && glob.indexOf(']', i + 2) > i) {
      const end = glob.indexOf(']', i + 2);
      const body = glob.slice(i + 1, end);
      const negated = body.startsWith('!');
      re += `[${negated ? '^' : ''}${(negated ? body.slice(1) : body).replace(/[\\\]^]/g, '\\$&')}]`;
      i = end;
    } else re += ch.replace(/[\\^$.+(){}|[\]]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** OpenSSH's host pattern lists: `*` and `?` wildcards, `!` negation, a negative match wins. */
export function matchesPatternList(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (globToRegExp(negated ? pattern.slice(1) : pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}
