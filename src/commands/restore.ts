import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restorePlays } from '../../playbooks/restore.js';
import { manifestDifferences, openBackupFile, type Entry } from '../backup/archive.js';
import { keyFile, stateKey } from '../backup/backupKey.js';
import { BACKUP_KEY_FILE, SECRETS_FILE } from '../backup/contents.js';
import { printable } from '../backup/format.js';
import { UsageError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import { givenSecret, selectRun } from '../inventory/selection.js';
import { StateFolder } from '../state/stateFolder.js';
import { loadPlaybook } from './playbook.js';
import { runCommand, type RunCommandOptions } from './run.js';

export interface RestoreOptions extends RunCommandOptions {
  backup: string;
  /** the backup key's file, when the state folder has none (or another): --backup-key */
  backupKey?: string;
}

/**
 * `st2prov restore`: a backup put back on the cluster of the same inventory, fresh or not.
 * All of the file is read and verified before anything is written or any host contacted (see
 * backup/archive.ts): its format, every byte against its digest, the MAC under the cluster's
 * backup key, every entry's name, kind, mode and owner, the state files' shape; then that it is
 * of this inventory's hosts, roles and st2 version (each difference named). A refusal leaves the
 * state folder and every host as they were. Then the state folder gets the backup's secrets and
 * material, so the site playbook that runs next converges the cluster with the backup's
 * datastore key and passwords; after it, in the same run, the restore plays put back the
 * database (the dump read again from the file, checked again) and the blueprints' files (see
 * playbooks/restore.ts). A dry run (mode diff) reads the backup's secrets from a private copy
 * and writes nothing.
 */
export async function restoreCommand(options: RestoreOptions, io = { out: process.stdout, err: process.stderr }): Promise<number> {
  const selection = selectRun(options);
  const stateDir = selection.inventory.stateDir;
  const kept = stateKey(new StateFolder(stateDir, false));
  const given = options.backupKey === undefined ? undefined : keyFile(options.backupKey);
  const backup = await openBackupFile(options.backup, given ?? kept, `the state folder ${stateDir} has no backup key (${BACKUP_KEY_FILE})`);
  try {
    const differences = manifestDifferences(backup.manifest, selection.settled.hosts, selection.settled.settings.st2_version);
    if (differences.length) {
      throw new UsageError(`${printable(options.backup)} is not a backup of this inventory's cluster (${options.inventory}): ${differences.join('; ')}`,
        'restore onto the inventory the backup was taken with (the same host names and roles, st2_version as the backup\'s, -e st2_version=X), nothing was changed');
    }
    for (const play of await loadPlaybook(options.playbook)) play.validate?.(selection.cluster);
    const overridden = givenOtherwise(backup.entries, (name) => givenSecret(selection, name));
    if (overridden.length) {
      io.err.write(`st2prov: warning: the inventory gives ${overridden.join(', ')} another value than the backup's; apply uses the inventory's, so what is made from it (RabbitMQ's and Redis' passwords, htpasswd) is not the backup's. Give the values of when the backup was taken to restore those too\n`);
    }
    const state = backup.entries.filter((e) => e.name.startsWith('state/'));
    const dryRun = options.mode === 'diff';
    const dir = dryRun ? mkdtempSync(join(tmpdir(), 'st2prov-restore-')) : stateDir;
    try {
      const folder = new StateFolder(dir, true);
      await putBack(folder, state);
      // the key that verified the backup authenticates the next ones, when the folder had none
      if (!dryRun && given && !kept) folder.write(BACKUP_KEY_FILE, `${given.key.toString('hex')}\n`);
      if (!dryRun) io.err.write(`restore: ${state.length} files of the state folder ${dir} put back from the backup: ${state.map((e) => e.name.slice('state/'.length)).join(', ')}${given && !kept ? `; ${BACKUP_KEY_FILE} from ${given.from}` : ''}\n`);
      return await runCommand({ ...options, morePlays: restorePlays(backup), ...(dryRun ? { stateDir: dir } : {}) }, io, selection);
    } finally {
      if (dryRun) rmSync(dir, { recursive: true, force: true });
    }
  } finally {
    await backup.close();
  }
}

/** The backup's state files into the folder: each top-level file replaced, each material folder replaced whole. */
async function putBack(folder: StateFolder, entries: readonly Entry[]): Promise<void> {
  const byFolder = new Map<string, Entry[]>();
  for (const e of entries) {
    const rel = e.name.slice('state/'.length);
    const slash = rel.indexOf('/');
    if (slash < 0) folder.write(rel, e.data.toString('utf8'));
    else byFolder.set(rel.slice(0, slash), [...(byFolder.get(rel.slice(0, slash)) ?? []), e]);
  }
  for (const [name, files] of byFolder) {
    await folder.writeFolder(name, (tmp) => {
      const sub = new StateFolder(tmp, true);
      for (const e of files) sub.write(e.name.slice(`state/${name}/`.length), e.data.toString('utf8'));
    });
  }
}

/** The backup's kept secrets that the inventory gives with another value (by name only); their shape was verified with the file. */
function givenOtherwise(entries: readonly Entry[], given: (name: string) => Secret | undefined): string[] {
  const secrets = entries.find((e) => e.name === `state/${SECRETS_FILE}`);
  if (!secrets) return [];
  const kept = JSON.parse(secrets.data.toString('utf8')) as Record<string, string>;
  return Object.entries(kept).filter(([name, value]) => {
    const g = given(name);
    return g !== undefined && g.reveal() !== value;
  }).map(([name]) => name);
}
