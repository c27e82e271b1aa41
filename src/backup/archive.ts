import { randomBytes } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { link, open, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { UsageError } from '../core/errors.js';
import type { Role } from '../core/context.js';
import type { BackupKey } from './backupKey.js';
import { LIMITS, entryKindOf, headerProblem, materialFileProblem, sizeLimit, stateFileProblem, wholeProblems } from './contents.js';
import { BackupRefusal, BackupWriter, entryLabel, entryStream, hasUnprintable, notUtf8Text, printable, readBackup, type ByteSource, type EntryHeader, type EntryRead } from './format.js';

/*
 * A backup file as a whole: written once, 0600, never replacing a file; read for a restore by
 * verifying all of it first (format.ts's frames and MAC, contents.ts's rules), holding what
 * the state folder and the blueprints get back (small, bounded) and leaving the dump in the
 * file, to be read again, checked again, when it goes to mongorestore.
 */

/** What the backup is of: checked against the inventory before a restore touches anything. */
export interface Manifest {
  st2provVersion: string;
  /** the st2 installed on the blueprint the material came from */
  st2Version: string;
  /** every host of the inventory, in its order */
  hosts: { name: string; role: Role | null }[];
  /** ISO time the backup was taken */
  createdAt: string;
  /** the controller MongoDB was dumped from */
  mongodbFrom: string;
  /** the blueprint the cluster's material was read from */
  materialFrom: string;
  /** the id of the backup key its MAC is made with (backupKey.ts) */
  keyId: string;
}

/** An entry held in memory: a state file, or a blueprint's file, folder or link (see contents.ts). */
export interface Entry extends EntryHeader {
  data: Buffer;
}

/** The dump, left in the backup file: its size and digest (verified), and its bytes read again on demand. */
export interface DumpRef {
  size: number;
  sha256: string;
  /** the dump's bytes, read again from the file and checked again as they go (once per call) */
  open(): Readable;
}

export interface Backup {
  manifest: Manifest;
  entries: Entry[];
  dump: DumpRef;
}

/** A verified backup whose file stays open (the dump is read from it again); close it when done. */
export interface OpenBackup extends Backup {
  close(): Promise<void>;
}

/**
 * Writes a new backup file: mode 0600 from its creation (a temp file created exclusively in
 * the same folder, never following a link), whole and synced, then linked to its name, which
 * must not exist yet (link does not replace a file: two backups never overwrite each other).
 * `write` adds the entries; whatever fails, the temp file goes and nothing is left. Returns the size.
 */
export async function writeBackupFile(path: string, key: BackupKey, manifest: Manifest, write: (w: BackupWriter) => Promise<void>): Promise<number> {
  const cannot = (err: unknown) => (err instanceof UsageError ? err : new UsageError(`cannot write ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give an --output in a folder you can write, with room for the dump; nothing was written'));
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600).catch((err: unknown) => {
    throw cannot(err);
  });
  let size = 0;
  try {
    try {
      await handle.chmod(0o600);
      const writer = new BackupWriter({
        write: async (parts) => {
          const want = parts.reduce((n, p) => n + p.length, 0);
          try {
            const { bytesWritten } = await handle.writev(parts as Buffer[]);
            // a short write (a full disk's last bytes, a signal): the rest, until all of it is down
            if (bytesWritten !== want) {
              const rest = Buffer.concat(parts as Buffer[]).subarray(bytesWritten);
              for (let at = 0; at < rest.length;) at += (await handle.write(rest, at)).bytesWritten;
            }
          } catch (err) {
            throw cannot(err);
          }
          size += want;
        },
      }, key.key);
      await writer.start(manifest);
      await write(writer);
      await writer.finish();
      await handle.sync().catch((err: unknown) => {
        throw cannot(err);
      });
    } finally {
      await handle.close();
    }
    try {
      await link(temp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refuseExisting(path);
      throw cannot(err);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return size;
}

export function refuseExisting(path: string): UsageError {
  return new UsageError(`${path} exists`, 'st2prov backup never replaces a file: give another --output, or move that one away');
}

const REMEDY_CRAFTED = 'nothing was restored; restore only a file written by st2prov backup (this one was made or changed by something else)';

/**
 * Opens a backup for a restore and verifies all of it before anything is written anywhere:
 * a regular file (a device, a pipe or a folder is refused at once), its format, every frame,
 * the manifest, every entry's name, kind, mode, owner, size and digest, the tree they make, the
 * state files' shape, and the MAC under `key` (refused first thing when the key is missing or
 * another: `noKey` says why there is none). Each refusal names the file and the remedy (exit 1).
 */
export async function openBackupFile(path: string, key: BackupKey | undefined, noKey: string): Promise<OpenBackup> {
  const shown = printable(path);
  if (!existsSync(path)) throw new UsageError(`${shown} does not exist`, 'give the file st2prov backup wrote');
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`cannot read ${shown}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, 'give the file st2prov backup wrote');
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new UsageError(`${shown} is not an st2prov backup: it is not a regular file (${st.isDirectory() ? 'a folder' : st.isCharacterDevice() || st.isBlockDevice() ? 'a device' : st.isFIFO() ? 'a pipe' : st.isSocket() ? 'a socket' : 'not a file'})`, 'give the file st2prov backup wrote');
    const backup = await verify(handle, key, noKey);
    return { ...backup, close: () => handle.close() };
  } catch (err) {
    await handle.close();
    if (err instanceof BackupRefusal) throw new UsageError(`${shown} ${err.message}`, err.remedy);
    throw err;
  }
}

/** The whole file read once and checked (see openBackupFile); the dump is left in `source`. */
export async function verify(source: ByteSource, key: BackupKey | undefined, noKey: string): Promise<Backup> {
  const crafted = (why: string) => new BackupRefusal('crafted', `is not a backup st2prov would write, so it is refused: ${why}`, REMEDY_CRAFTED);
  let held = 0;
  let counted = 0;
  let manifestRead: Manifest | undefined;
  const read = await readBackup(source, {
    ...(key ? { key: key.key } : {}),
    manifest(m) {
      const problem = manifestProblem(m);
      if (problem) throw crafted(`its manifest ${problem}`);
      manifestRead = m as Manifest;
      if (!key) throw new BackupRefusal('key', `is authenticated with the backup key ${manifestRead.keyId}, and ${noKey}`, 'give the copy of the state folder\'s backup.key kept apart from the backups with --backup-key FILE; nothing was restored');
      if (manifestRead.keyId !== key.id) {
        throw new BackupRefusal('key', `was written with the backup key ${manifestRead.keyId}, not with this cluster's (${key.id}, ${key.from}): it is another cluster's backup, or one taken before this state folder's key was made`,
          'restore it with the inventory and state folder of the cluster it was taken from, or give the key it was written with (--backup-key FILE); nothing was restored');
      }
    },
    entry(header, before) {
      const problem = headerProblem(header);
      if (problem) throw crafted(`${entryLabel(header)}: ${problem}`);
      if (before.length >= LIMITS.entries) throw crafted(`it holds more than ${LIMITS.entries} entries`);
      const kind = entryKindOf(header.name)!;
      if (kind === 'dump') return { max: sizeLimit(kind), keep: false };
      while (counted < before.length) held += before[counted++]!.data?.length ?? 0;
      return { max: Math.min(sizeLimit(kind), Math.max(0, LIMITS.held - held)), keep: true };
    },
  });
  if (read.mac !== 'valid') {
    throw new BackupRefusal('key', 'does not match its MAC: it was changed after st2prov wrote it (or damaged where its checksums cannot tell)', 'nothing was restored; use another copy of the backup, one kept where nobody else can write');
  }
  const problems = wholeProblems(read.entries.map((e) => e.header.name));
  if (problems.length) throw crafted(problems.slice(0, 5).join('; ') + (problems.length > 5 ? `; and ${problems.length - 5} more` : ''));
  for (const e of read.entries) {
    const kind = entryKindOf(e.header.name);
    const problem = kind === 'state' ? stateFileProblem(e.header.name.slice('state/'.length), e.data!) : kind === 'file' ? materialFileProblem(e.data!) : undefined;
    if (problem) throw crafted(`${entryLabel(e.header)} ${problem}`);
  }
  const dump = read.entries.find((e) => entryKindOf(e.header.name) === 'dump')!;
  return {
    manifest: manifestRead!,
    entries: read.entries.filter((e) => e !== dump).map(held2entry),
    dump: { size: dump.size, sha256: dump.sha256, open: () => entryStream(source, dump.at, { name: dump.header.name, size: dump.size, sha256: dump.sha256 }) },
  };
}

function held2entry(e: EntryRead): Entry {
  return { ...e.header, data: e.data! };
}

const text = (v: unknown, max = 256) => typeof v === 'string' && v.length <= max && !hasUnprintable(v) && !notUtf8Text(v);

/** What is wrong with a manifest read from a file, or undefined. */
export function manifestProblem(m: unknown): string | undefined {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) return 'is not an object';
  const x = m as Record<string, unknown>;
  const fields = ['st2provVersion', 'st2Version', 'hosts', 'createdAt', 'mongodbFrom', 'materialFrom', 'keyId'];
  const wrong = [...Object.keys(x).filter((k) => !fields.includes(k)), ...fields.filter((k) => !(k in x))];
  if (wrong.length) return `has other fields than a backup's (${wrong.map((k) => printable(k.slice(0, 40))).join(', ')})`;
  if (!text(x.st2provVersion, 64) || !text(x.createdAt, 64) || !text(x.mongodbFrom) || !text(x.materialFrom)) return 'has a field that is not short text';
  if (typeof x.st2Version !== 'string' || !/^(\d{1,4}\.\d{1,4}\.\d{1,4})?$/.test(x.st2Version)) return 'has an st2 version that is not one';
  if (typeof x.keyId !== 'string' || !/^[0-9a-f]{16}$/.test(x.keyId)) return 'has no backup key id';
  if (!Array.isArray(x.hosts) || x.hosts.length > 10_000) return 'has no list of hosts';
  for (const h of x.hosts as unknown[]) {
    const host = h as Record<string, unknown>;
    if (typeof h !== 'object' || h === null || Object.keys(host).length !== 2 || !text(host.name) || host.name === '' || !(host.role === null || host.role === 'controller' || host.role === 'blueprint')) return 'has a host that is not a name and a role';
  }
  return undefined;
}

/** What differs between the backup's cluster and the inventory's, each named; none: it may be restored. */
export function manifestDifferences(manifest: Manifest, hosts: readonly { name: string; role: Role | undefined }[], st2Version: string): string[] {
  const differences: string[] = [];
  const theirs = new Map(manifest.hosts.map((h) => [h.name, h.role]));
  const ours = new Map(hosts.map((h) => [h.name, h.role ?? null]));
  const missing = manifest.hosts.filter((h) => !ours.has(h.name)).map((h) => printable(h.name));
  const added = hosts.filter((h) => !theirs.has(h.name)).map((h) => h.name);
  if (missing.length) differences.push(`the backup's hosts ${missing.join(', ')} are not in the inventory`);
  if (added.length) differences.push(`the inventory's hosts ${added.join(', ')} are not in the backup`);
  for (const [name, role] of ours) {
    if (theirs.has(name) && theirs.get(name) !== role) differences.push(`${name} is a ${theirs.get(name) ?? 'host without a role'} in the backup, a ${role ?? 'host without a role'} in the inventory`);
  }
  if (manifest.st2Version && manifest.st2Version !== st2Version) differences.push(`the backup is of st2 ${manifest.st2Version}, the inventory's st2_version is ${st2Version}`);
  return differences;
}
