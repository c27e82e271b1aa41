import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { labDir } from './config.js';
import { log, run, runBuffer } from './sh.js';
import { buildLabPacks, buildPackage, testPackages } from './testPackages.js';

/** Debian packages the playbooks install; everything they depend on beyond the base comes along. */
// python3-psycopg2, python3-apt and acl: what Ansible's modules and become need (the benchmark)
// zookeeperd: coordination_backend=zookeeper (brings a Java runtime along)
export const DEBIAN_PACKAGES = ['postgresql', 'postgresql-client', 'rabbitmq-server', 'redis-server', 'redis-sentinel', 'redis-tools', 'keepalived', 'zookeeperd', 'nginx', 'openssl', 'ssl-cert', 'curl', 'python3-psycopg2', 'python3-apt', 'acl'];
const REPO_RECIPE = 3;

export interface Repo {
  dir: string;
  /** the public key hosts and the StackStorm repository step trust */
  keyring: string;
}

function repoHash(base: string): string {
  const packageSources = fileURLToPath(new URL('../../../test/lab/', import.meta.url));
  const h = createHash('sha256').update(JSON.stringify({ DEBIAN_PACKAGES, REPO_RECIPE, base }));
  // every file the packages are made of: a new one counts without being listed here
  const files = [...readdirSync(join(packageSources, 'packages')).sort().map((f) => `packages/${f}`), 'testPackages.ts'];
  for (const f of files) h.update(f).update(readFileSync(join(packageSources, f)));
  h.update(readFileSync(fileURLToPath(new URL('../../../test/fixtures/mistral.conf', import.meta.url))));
  return h.digest('hex').slice(0, 12);
}

/**
 * A flat, signed apt repository in two parts: debian/ (the real Debian packages, resolved
 * against the base's dpkg status so exactly what the base lacks is there) and stackstorm/
 * (the project's test packages), and packs/ (the packs st2-pack-install's stand-in fetches, one
 * tarball per git ref). Built once and cached until its inputs change.
 */
export function ensureRepo(base: string): Repo {
  const dir = join(labDir, `repo-${repoHash(base)}`);
  const repo = { dir, keyring: join(dir, 'st2lab-archive-keyring.gpg') };
  if (existsSync(join(dir, '.complete'))) return repo;
  for (const old of readdirSync(labDir).filter((d) => d.startsWith('repo-') && join(labDir, d) !== dir)) rmSync(join(labDir, old), { recursive: true, force: true });
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  mkdirSync(join(building, 'debian/partial'), { recursive: true });
  mkdirSync(join(building, 'stackstorm'), { recursive: true });

  if (!readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages'))) run('apt-get', ['update', '-q']);
  log(`downloading ${DEBIAN_PACKAGES.join(', ')} and their dependencies for the lab repository`);
  run('apt-get', [
    '-q', '-y', '--download-only', '--no-install-recommends',
    '-o', `Dir::State::status=${join(base, 'var/lib/dpkg/status')}`,
    '-o', `Dir::Cache::archives=${join(building, 'debian')}`,
    '-o', 'Debug::NoLocking=1',
    'install', ...DEBIAN_PACKAGES,
  ], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  rmSync(join(building, 'debian/partial'), { recursive: true, force: true });
  rmSync(join(building, 'debian/lock'), { force: true });

  for (const spec of testPackages()) buildPackage(spec, join(building, spec.part));
  buildLabPacks(building);

  const gnupg = join(building, 'gnupg');
  mkdirSync(gnupg, { mode: 0o700 });
  const gpg = (args: string[], cwd?: string) => run('gpg', ['--batch', '--quiet', '--homedir', gnupg, ...args], cwd ? { cwd } : {});
  gpg(['--passphrase', '', '--quick-gen-key', 'st2prov lab repository <lab@st2prov.invalid>', 'ed25519', 'sign', 'never']);
  writeFileSync(join(building, 'st2lab-archive-keyring.gpg'), runBuffer('gpg', ['--batch', '--homedir', gnupg, '--export']));
  writeFileSync(join(building, 'st2lab-archive-keyring.asc'), runBuffer('gpg', ['--batch', '--homedir', gnupg, '--armor', '--export']));
  for (const part of ['debian', 'stackstorm']) {
    const cwd = join(building, part);
    writeFileSync(join(cwd, 'Packages'), run('apt-ftparchive', ['packages', '.'], { cwd }));
    writeFileSync(join(cwd, 'Release'), run('apt-ftparchive', ['-o', 'APT::FTPArchive::Release::Origin=st2prov-lab', '-o', `APT::FTPArchive::Release::Label=${part}`, 'release', '.'], { cwd }));
    gpg(['--clearsign', '--output', 'InRelease', 'Release'], cwd);
    gpg(['--armor', '--detach-sign', '--output', 'Release.gpg', 'Release'], cwd);
  }
  // signing started an agent for this key folder: it must not outlive the build
  run('gpgconf', ['--homedir', gnupg, '--kill', 'gpg-agent']);
  writeFileSync(join(building, '.complete'), `${new Date().toISOString()}\n`);
  rmSync(dir, { recursive: true, force: true });
  renameSync(building, dir);
  return repo;
}
