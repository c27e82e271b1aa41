import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { restorePlays } from '../../playbooks/restore.js';
import { manifestDifferences, readBackupFile, type Entry } from '../backup/archive.js';
import { DUMP_ENTRY, outsideMaterial } from '../backup/cluster.js';
import { UsageError } from '../core/errors.js';
import type { Secret } from '../core/secret.js';
import { givenSecret, selectRun } from '../inventory/selection.js';
import { StateFolder } from '../state/stateFolder.js';
import { loadPlaybook } from './playbook.js';
import { runCommand, type RunCommandOptions } from './run.js';

export interface RestoreOptions extends RunCommandOptions {
  backup: string;
}

/**
 * `st2prov restore`: a backup put back on the cluster of the same inventory, fresh or not.
 * Everything that can be refused is refused before anything is written: a file that is not
 * a backup or is damaged, a backup of other hosts or another st2 version (each difference
 * named). Then the state folder gets the backup's secrets and material, so the site playbook
 * that runs next converges the cluster with the backup's datastore key and passwords; after it,
 * in the same run, the restore plays put back the database and the blueprints' files (see
 * playbooks/restore.ts). A dry run (mode diff) reads the backup's secrets from a private copy
 * and writes nothing.
 */
export async function restoreCommand(options: RestoreOptions, io = { out: process.stdout, err: process.stderr }): Promise<number> {
  const selection = selectRun(options);
  const backup = readBackupFile(options.backup);
  const differences = manifestDifferences(backup.manifest, selection.settled.hosts, selection.settled.settings.st2_version);
  if (differences.length) {
    throw new UsageError(`${options.backup} is not a backup of this inventory's cluster (${options.inventory}): ${differences.join('; ')}`,
      'restore onto the inventory the backup was taken with (the same host names and roles, st2_version as the backup\'s, -e st2_version=X), nothing was changed');
  }
  const foreign = outsideMaterial(backup.entries);
  if (foreign.length) throw new UsageError(`${options.backup} holds files that st2prov does not back up: ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? `, and ${foreign.length - 5} more` : ''}`, 'nothing was changed; restore only a file written by st2prov backup');
  if (!backup.entries.some((e) => e.name === DUMP_ENTRY)) throw new UsageError(`${options.backup} holds no MongoDB dump`, 'nothing was changed; use a file written by st2prov backup');
  for (const play of await loadPlaybook(options.playbook)) play.validate?.(selection.cluster);
  const overridden = givenOtherwise(backup.entries, (name) => givenSecret(selection, name));
  if (overridden.length) {
    io.err.write(`st2prov: warning: the inventory gives ${overridden.join(', ')} another value than the backup's; apply uses the inventory's, so what is made from it (RabbitMQ's and Redis' passwords, htpasswd) is not the backup's. Give the values of when the backup was taken to restore those too\n`);
  }
  const state = backup.entries.filter((e) => e.name.startsWith('state/'));
  const dryRun = options.mode === 'diff';
  const dir = dryRun ? mkdtempSync(join(tmpdir(), 'st2prov-restore-')) : selection.inventory.stateDir;
  try {
    await putBack(new StateFolder(dir, true), state);
    if (!dryRun) io.err.write(`restore: ${state.length} files of the state folder ${dir} put back from the backup: ${state.map((e) => e.name.slice('state/'.length)).join(', ')}\n`);
    return await runCommand({ ...options, morePlays: restorePlays(backup), ...(dryRun ? { stateDir: dir } : {}) }, io, selection);
  } finally {
    if (dryRun) rmSync(dir, { recursive: true, force: true });
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
      for (const e of files) {
        const rel = e.name.slice(`state/${name}/`.length);
        if (rel.includes('/')) throw new UsageError(`the backup's state file ${e.name} is nested deeper than st2prov keeps its material`, 'nothing of that folder was restored');
        sub.write(rel, e.data.toString('utf8'));
      }
    });
  }
}

/** The backup's kept secrets that the inventory gives with another value (by name only). */
function givenOtherwise(entries: readonly Entry[], given: (name: string) => Secret | undefined): string[] {
  const secrets = entries.find((e) => e.name === 'state/secrets.json');
  if (!secrets) return [];
  let kept: Record<string, unknown>;
  try {
    kept = JSON.parse(secrets.data.toString('utf8')) as Record<string, unknown>;
  } catch {
    throw new UsageError('the backup\'s state/secrets.json does not parse', 'nothing was changed; use another copy of the backup');
  }
  return Object.entries(kept).filter(([name, value]) => {
    const g = given(name);
    return g !== undefined && g.reveal() !== value;
  }).map(([name]) => name);
}
