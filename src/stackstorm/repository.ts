import type { Operation } from '../core/operation.js';
import { armoredKey } from '../edit/openpgpArmor.js';
import { osFacts, type OsFacts } from '../facts/os.js';
import { fileState } from '../facts/files.js';
import { SETTING_FILE_LIMIT, readLocalFile } from '../facts/localFiles.js';
import type { Settings } from '../inventory/variables.js';
import { aptRepository, repositorySource } from '../ops/apt.js';
import { command } from '../ops/command.js';
import { file } from '../ops/file.js';

const KEYRING = '/usr/share/keyrings/stackstorm-archive-keyring.asc';
const SOURCES = '/etc/apt/sources.list.d/stackstorm.list';

/**
 * StackStorm's apt repository as a sources entry pinned to its own keyring, instead of the
 * guide's `curl | bash`. st2_repo is stable, unstable, staging-stable, staging-unstable
 * (packagecloud, key fetched by the host once, entry for the host's distribution) or the
 * URL of a mirror, whose key file on the control machine is st2_repo_key.
 */
export function st2Repository(s: Settings): Operation {
  if (/^https?:\/\//.test(s.st2_repo)) {
    const ops = aptRepository({ name: 'stackstorm', uri: s.st2_repo, suite: s.st2_repo_suite, components: s.st2_repo_components, key: readLocalFile(s.st2_repo_key!, SETTING_FILE_LIMIT, 'st2_repo_key') });
    return {
      title: `StackStorm repository ${s.st2_repo}`,
      facts: (h) => ops.flatMap((op) => op.facts?.(h) ?? []),
      plan: async (h) => (await Promise.all(ops.map((op) => op.plan(h)))).flat(),
    };
  }
  const base = `https://packagecloud.io/StackStorm/${s.st2_repo}`;
  const key = s.st2_repo_key
    ? file({ path: KEYRING, content: armoredKey(readLocalFile(s.st2_repo_key, SETTING_FILE_LIMIT, 'st2_repo_key')), mode: '0644', owner: 'root:root' })
    : command({ summary: `fetch the signing key of StackStorm/${s.st2_repo}`, argv: ['curl', '-fsSL', '-o', KEYRING, `${base}/gpgkey`], creates: KEYRING });
  const entry = (os: OsFacts) => file({ path: SOURCES, content: `deb [signed-by=${KEYRING}] ${base}/${os.id}/ ${os.codename} main\n`, mode: '0644', owner: 'root:root' });
  return {
    title: `StackStorm repository ${s.st2_repo}`,
    facts: (h) => [osFacts(), fileState(SOURCES), ...(key.facts?.(h) ?? [])],
    async plan(h) {
      const ops = [key, entry(await h.fact(osFacts()))].map(repositorySource);
      const changes = [];
      for (const op of ops) changes.push(...(await op.plan(h)));
      return changes;
    },
  };
}
