import { readFileSync } from 'node:fs';
import { PlaybookError } from '../errors.js';
import type { HostContext } from '../engine/hostContext.js';
import type { Operation } from '../engine/operation.js';
import type { OsFacts } from '../facts/os.js';
import { aptRepository, repositorySource } from '../ops/apt.js';
import { command } from '../ops/command.js';
import { armoredKey } from '../edit/openpgpArmor.js';
import { file } from '../ops/file.js';

const NAMED = ['stable', 'unstable', 'staging-stable', 'staging-unstable'];
const KEYRING = '/usr/share/keyrings/stackstorm-archive-keyring.asc';

/**
 * StackStorm's apt repository as a sources entry pinned to its own keyring, instead of the
 * guide's `curl | bash`. st2_repo is stable, unstable, staging-stable, staging-unstable
 * (packagecloud, key fetched by the host once) or the URL of a mirror, whose key file on
 * the control machine is st2_repo_key (suite st2_repo_suite, default a flat "./" repo).
 */
export function st2Repository(host: HostContext, os: OsFacts): Operation[] {
  const repo = String(host.vars.st2_repo ?? 'stable');
  const keyFile = host.vars.st2_repo_key;
  if (/^https?:\/\//.test(repo)) {
    if (!keyFile) throw new PlaybookError(`st2_repo is the mirror ${repo} but st2_repo_key is not set`, 'set st2_repo_key to the mirror’s signing key file on the control machine');
    const components = String(host.vars.st2_repo_components ?? '').split(/[\s,]+/).filter(Boolean);
    return aptRepository({ name: 'stackstorm', uri: repo, suite: String(host.vars.st2_repo_suite ?? './'), components, key: readKey(String(keyFile)) });
  }
  if (!NAMED.includes(repo)) throw new PlaybookError(`st2_repo "${repo}" is not known`, `use ${NAMED.join(', ')} or a mirror URL`);
  const base = `https://packagecloud.io/StackStorm/${repo}`;
  const keyOps: Operation[] = keyFile
    ? [file({ path: KEYRING, content: armoredKey(readKey(String(keyFile))), mode: '0644', owner: 'root:root' })]
    : [command({ summary: `fetch the signing key of StackStorm/${repo}`, argv: ['curl', '-fsSL', '-o', KEYRING, `${base}/gpgkey`], creates: KEYRING })];
  const entry = file({ path: '/etc/apt/sources.list.d/stackstorm.list', content: `deb [signed-by=${KEYRING}] ${base}/${os.id}/ ${os.codename} main\n`, mode: '0644', owner: 'root:root' });
  return [...keyOps, entry].map(repositorySource);
}

function readKey(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new PlaybookError(`cannot read st2_repo_key ${path}: ${(err as NodeJS.ErrnoException).code}`, 'give the path of the repository’s signing key on the control machine');
  }
}
