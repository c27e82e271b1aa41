import { RemoteCommandError } from '../core/errors.js';
import { change } from '../core/change.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { installedPackages } from '../facts/packages.js';
import { shellScript } from '../core/command.js';
import { armoredKey } from '../edit/openpgpArmor.js';
import { file } from './file.js';

const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive'];
// waits for another apt/dpkg instead of failing on its lock (apt ≥ 1.9; older apt ignores it)
const APT_OPTS = ['-y', '-q', '-o', 'DPkg::Lock::Timeout=600', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

/** Hosts whose package sources changed in this run: their index is refreshed before installing. */
const staleIndex = new WeakSet<HostContext>();

function markIndexStale(host: HostContext): void {
  staleIndex.add(host);
}

const UPDATE = [...APT_ENV, 'apt-get', '-q', '-o', 'DPkg::Lock::Timeout=600', 'update'];
const HAS_LISTS = `for f in /var/lib/apt/lists/*_Packages*; do [ -e "$f" ] && exit 0; done; exit 1`;

/**
 * Packages installed, all missing ones in one apt transaction; the index is updated only
 * when needed. `name=version` pins a version (installed when dpkg has exactly that one;
 * with `newOnly`, only when the package is not installed at all).
 */
export function packages(specs: readonly string[], options: { installRecommends?: boolean; newOnly?: boolean } = {}): Operation {
  const wanted = [...new Set(specs)];
  const names = wanted.map((w) => w.split('=')[0]!);
  return {
    title: `packages ${wanted.join(' ')}`,
    facts: () => [installedPackages(names)],
    async plan(host) {
      const installed = await host.fact(installedPackages(names));
      const missing = wanted.filter((w) => {
        const [name, version] = w.split('=') as [string, string | undefined];
        const have = installed.get(name);
        // newOnly: a pinned version is for a fresh install; another installed version is left to its rolling upgrade
        return have === undefined || (version !== undefined && have !== version && !options.newOnly);
      });
      if (missing.length === 0) return [];
      return [
        change({
          kind: 'apt',
          summary: `install ${missing.join(' ')}`,
          apply: () => install(host, missing, options.installRecommends ?? false),
        }),
      ];
    },
  };
}

export async function install(host: HostContext, names: string[], recommends: boolean): Promise<void> {
  // a pinned version is what the operator asked for, also when it is older than the installed one
  const pinned = names.some((n) => n.includes('='));
  const argv = [...APT_ENV, 'apt-get', ...APT_OPTS, ...(recommends ? [] : ['--no-install-recommends']), ...(pinned ? ['--allow-downgrades'] : []), 'install', ...names];
  let updated = false;
  const hasLists = (await host.exec({ argv: shellScript(HAS_LISTS) })).code === 0;
  if (staleIndex.has(host) || !hasLists) {
    await host.run('apt-get update', { argv: UPDATE });
    staleIndex.delete(host);
    updated = true;
  }
  let first = await host.exec({ argv });
  if (first.code === 0) return;
  // a run killed during an apt transaction leaves dpkg half done: finish it, then install
  if (/dpkg was interrupted/.test(first.stderr + first.stdout)) {
    await host.run('dpkg --configure -a (finishing an interrupted apt run)', { argv: [...APT_ENV, 'dpkg', '--force-confdef', '--force-confold', '--configure', '-a'] });
    first = await host.exec({ argv });
    if (first.code === 0) return;
  }
  // an index older than the packages asked for: refresh once and try again
  if (!updated && /Unable to locate package|has no installation candidate|404\s+Not Found/.test(first.stderr + first.stdout)) {
    await host.run('apt-get update', { argv: UPDATE });
    await host.run(`apt-get install ${names.join(' ')}`, { argv });
    return;
  }
  throw new RemoteCommandError(`apt-get install ${names.join(' ')}`, first.code, first.stderr || first.stdout);
}

export interface AptRepositorySpec {
  /** file names: /etc/apt/sources.list.d/<name>.list and the keyring */
  name: string;
  uri: string;
  suite: string;
  components: string[];
  /** the repository's signing key, armored ("-----BEGIN PGP") or binary (armored here) */
  key: string | Buffer;
  arch?: string;
}

/** An apt source pinned to its own keyring (signed-by), replacing `curl | bash` installers. */
export function aptRepository(spec: AptRepositorySpec): Operation[] {
  const keyring = `/usr/share/keyrings/${spec.name}-archive-keyring.asc`;
  const options = [`signed-by=${keyring}`, ...(spec.arch ? [`arch=${spec.arch}`] : [])].join(' ');
  const line = `${['deb', `[${options}]`, spec.uri, spec.suite, ...spec.components].join(' ')}\n`;
  return [
    repositorySource(file({ path: keyring, content: armoredKey(spec.key), mode: '0644', owner: 'root:root' })),
    repositorySource(file({ path: `/etc/apt/sources.list.d/${spec.name}.list`, content: line, mode: '0644', owner: 'root:root' })),
  ];
}

/** An operation on apt's sources (entry or key): when it changes, the index is refreshed before the next install. */
export function repositorySource(op: Operation): Operation {
  return {
    title: op.title,
    ...(op.facts ? { facts: op.facts } : {}),
    async plan(host) {
      const changes = await op.plan(host);
      return changes.map((c) => change({ ...c, apply: async () => {
        await c.apply();
        markIndexStale(host);
      } }));
    },
  };
}
