/** OpenSSH's host patterns: `*` and `?` wildcards, `!` negation, first negative match wins. */
export function matchesPatternList(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    if (wildcardToRegExp(negated ? pattern.slice(1) : pattern).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

export function wildcardToRegExp(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
}
