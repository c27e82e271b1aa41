import { fact, familyFact, type Fact } from '../core/fact.js';

/**
 * Which of these packages dpkg has installed (names unknown to dpkg are simply absent); one
 * dpkg-query for those of every step probed with it (see Family).
 */
export function installedPackages(names: readonly string[]): Fact<Map<string, string>> {
  const asked = (mine: readonly string[]) => new Set(mine.map((n) => n.replace(/:.*$/, '')));
  return familyFact('dpkg', names, packagesRead, (whole, mine) => {
    const wanted = asked(mine);
    return new Map([...whole].filter(([name]) => wanted.has(name)));
  });
}

function packagesRead(names: readonly string[]): Fact<Map<string, string>> {
  const argv = ['dpkg-query', '-W', '-f', '${Package}\\t${db:Status-Abbrev}\\t${Version}\\n', ...names];
  return fact(`dpkg:${names.join(',')}`, argv, (r) => {
    const installed = new Map<string, string>();
    for (const line of r.stdout.split('\n')) {
      const [name, status, version] = line.split('\t');
      if (name && status?.startsWith('ii') && version) installed.set(name.replace(/:.*$/, ''), version);
    }
    return installed;
  });
}

