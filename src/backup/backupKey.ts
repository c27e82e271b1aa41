import { createHmac, randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../core/errors.js';
import type { StateFolder } from '../state/stateFolder.js';
import { BACKUP_KEY_FILE } from './contents.js';

/*
 * The key that authenticates a cluster's backups: every backup file ends with an HMAC-SHA256
 * of all its bytes under it, and restore refuses a file whose MAC does not match, so a file
 * planted where backups are kept (or one altered there) cannot be restored onto every
 * blueprint. It is 32 random bytes made by the first backup and kept in the state folder
 * (backup.key, 0600, 64 hex digits), and never in a backup: a backup that carried its key would
 * authenticate whatever anyone made from it. A backup names its key by an id (a digest under
 * the key, which tells nothing of it), so a refusal can say which key a file needs.
 *
 * A control machine that lost its state folder has no key: restore then refuses, naming the
 * key id, until the operator gives the copy of backup.key kept apart from the backups
 * (`--backup-key FILE`). There is no way around it: a restore without the key would take any file.
 */

export interface BackupKey {
  key: Buffer;
  id: string;
  /** where it was read, for messages */
  from: string;
}

/** A key's id: a digest under the key of a fixed text, 16 hex digits. */
export function keyId(key: Buffer): string {
  return createHmac('sha256', key).update('st2prov backup key id').digest('hex').slice(0, 16);
}

function parseKey(text: string): Buffer | undefined {
  const hex = text.trim();
  return /^[0-9a-f]{64}$/.test(hex) ? Buffer.from(hex, 'hex') : undefined;
}

/** The state folder's backup key, if it has one. */
export function stateKey(folder: StateFolder): BackupKey | undefined {
  const text = folder.read(BACKUP_KEY_FILE);
  if (text === undefined) return undefined;
  const from = join(folder.dir, BACKUP_KEY_FILE);
  const key = parseKey(text);
  if (!key) throw new UsageError(`${from} is not a backup key (64 hex digits)`, 'put back the copy you kept of it; without it no backup of this cluster can be restored here (remove it only to make a new key, which backups taken before cannot be restored with)');
  return { key, id: keyId(key), from };
}

/** The state folder's backup key, made now if it has none (the first backup of the cluster). */
export function stateKeyOrNew(folder: StateFolder): BackupKey & { made: boolean } {
  const known = stateKey(folder);
  if (known) return { ...known, made: false };
  const key = randomBytes(32);
  folder.write(BACKUP_KEY_FILE, `${key.toString('hex')}\n`);
  return { key, id: keyId(key), from: join(folder.dir, BACKUP_KEY_FILE), made: true };
}

/** A key given with --backup-key: a regular file holding 64 hex digits. */
export function keyFile(path: string): BackupKey {
  const remedy = `give the copy of the state folder's ${BACKUP_KEY_FILE} kept from when the backup was taken`;
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`cannot read the backup key ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, remedy);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > 1024) throw new UsageError(`${path} is not a backup key (${st.isFile() ? 'it is larger than one' : 'it is not a regular file'})`, remedy);
    const buffer = Buffer.alloc(st.size);
    const got = readSync(fd, buffer, 0, buffer.length, 0);
    const key = parseKey(buffer.subarray(0, got).toString('latin1'));
    if (!key) throw new UsageError(`${path} is not a backup key (64 hex digits)`, remedy);
    return { key, id: keyId(key), from: path };
  } finally {
    closeSync(fd);
  }
}
