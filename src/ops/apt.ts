import { RemoteCommandError } from '../errors.js';
import { change } from '../engine/change.js';
import type { HostContext } from '../engine/hostContext.js';
import type { Operation } from '../engine/operation.js';
import { installedPackages } from '../facts/packages.js';
import { shellScript } from '../ssh/quote.js';
import { file } from './file.js';

const APT_ENV = ['env', 'DEBIAN_FRONTEND=noninteractive'];
// waits for another apt/dpkg instead of failing on its lock (apt ≥ 1.9; older apt ignores it)
const APT_OPTS = ['-y', '-q', '-o', 'DPkg::Lock::Timeout=600', '-o', 'Dpkg::Options::=--force-confdef', '-o', 'Dpkg::Options::=--force-confold'];

/** Hosts whose package sources changed in this run: their index is refreshed before installing. */
const staleIndex = new WeakSet<HostContext>();

export function markIndexStale(host: HostContext): void {
  staleIndex.add(host);
}

const HAS_LISTS = `for f in /var/lib/apt/lists/*_Packages*; do [ -e "$f" ] && exit 0; done; exit 1`;

/** Packages installed, all missing ones in one apt transaction; the index is updated only when needed. */
export function packages(names: readonly string[], options: { installRecommends?: boolean } = {}): Operation {
  const wanted = [...new Set(names)];
  return {
    title: `packages ${wanted.join(' ')}`,
    async plan(host) {
      const installed = await host.fact(installedPackages(wanted));
      const missing = wanted.filter((p) => !installed.has(p));
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

async function install(host: HostContext, names: string[], recommends: boolean): Promise<void> {
  const argv = [...APT_ENV, 'apt-get', ...APT_OPTS, ...(recommends ? [] : ['--no-install-recommends']), 'install', ...names];
  let updated = false;
  const hasLists = (await host.exec({ argv: shellScript(HAS_LISTS) })).code === 0;
  if (staleIndex.has(host) || !hasLists) {
    await host.run('apt-get update', { argv: [...APT_ENV, 'apt-get', '-q', '-o', 'DPkg::Lock::Timeout=600', 'update'] });
    staleIndex.delete(host);
    updated = true;
  }
  const first = await host.exec({ argv });
  if (first.code === 0) return;
  // an index older than the packages asked for: refresh once and try again
  if (!updated && /Unable to locate package|has no installation candidate|404\s+Not Found/.test(first.stderr + first.stdout)) {
    await host.run('apt-get update', { argv: [...APT_ENV, 'apt-get', '-q', '-o', 'DPkg::Lock::Timeout=600', 'update'] });
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
  /** the repository's signing key, armored ("-----BEGIN PGP") or binary */
  key: string | Buffer;
  arch?: string;
}

/** An apt source pinned to its own keyring (signed-by), replacing `curl | bash` installers. */
export function aptRepository(spec: AptRepositorySpec): Operation[] {
  const armored = Buffer.from(spec.key).subarray(0, 40).toString().includes('-----BEGIN PGP');
  const keyring = `/usr/share/keyrings/${spec.name}-archive-keyring.${armored ? 'asc' : 'gpg'}`;
  const options = [`signed-by=${keyring}`, ...(spec.arch ? [`arch=${spec.arch}`] : [])].join(' ');
  const line = `deb [${options}] ${spec.uri} ${spec.suite} ${spec.components.join(' ')}\n`;
  const markStale = (op: Operation): Operation => ({
    title: op.title,
    async plan(host) {
      const changes = await op.plan(host);
      return changes.map((c) => change({ ...c, apply: async () => {
        await c.apply();
        markIndexStale(host);
      } }));
    },
  });
  return [
    markStale(file({ path: keyring, content: Buffer.from(spec.key).toString('latin1'), mode: '0644', owner: 'root:root' })),
    markStale(file({ path: `/etc/apt/sources.list.d/${spec.name}.list`, content: line, mode: '0644', owner: 'root:root' })),
  ];
}
