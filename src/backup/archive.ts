import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fchmodSync, fsyncSync, linkSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { UsageError } from '../core/errors.js';
import type { Role } from '../core/context.js';

/*
 * One st2prov backup: a first line naming the format, then a gzip stream of a JSON line (the
 * manifest and the list of entries with their sizes and SHA-256) and the entries' bytes one
 * after the other. Every byte is checked on reading: gzip's CRC, then each entry's digest, so
 * a damaged or cut file is refused before anything is restored.
 */

const MAGIC = 'st2prov-backup';
export const BACKUP_FORMAT = 1;

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
}

/**
 * A file of the backup. Names say where it goes back: `state/REL` into the state folder,
 * `mongodb/st2.archive.gz` the dump, `files/ABSOLUTE-PATH` onto every blueprint, and
 * `dirs/ABSOLUTE-PATH` a folder there (no bytes).
 */
export interface Entry {
  name: string;
  data: Buffer;
  /** octal, for files and folders of the hosts */
  mode?: string;
  owner?: string;
  group?: string;
}

export interface Backup {
  manifest: Manifest;
  entries: Entry[];
}

interface Header {
  format: number;
  manifest: Manifest;
  entries: { name: string; size: number; sha256: string; mode?: string; owner?: string; group?: string }[];
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

export function encodeBackup(backup: Backup): Buffer {
  const header: Header = {
    format: BACKUP_FORMAT,
    manifest: backup.manifest,
    entries: backup.entries.map((e) => ({ name: e.name, size: e.data.length, sha256: sha256(e.data), ...(e.mode ? { mode: e.mode, owner: e.owner, group: e.group } : {}) })),
  };
  return Buffer.concat([Buffer.from(`${MAGIC} ${BACKUP_FORMAT}\n`), gzipSync(Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...backup.entries.map((e) => e.data)]))]);
}

/** Reads a backup, refusing (exit 1) a file that is not one or is damaged; `file` names it in the message. */
export function decodeBackup(bytes: Buffer, file: string): Backup {
  const corrupt = (why: string) => new UsageError(`${file} is a damaged st2prov backup: ${why}`, 'nothing was restored; use another copy of the backup');
  const firstLine = bytes.subarray(0, 64).indexOf(0x0a);
  const magic = firstLine < 0 ? '' : bytes.subarray(0, firstLine).toString('latin1');
  if (!magic.startsWith(`${MAGIC} `)) throw new UsageError(`${file} is not an st2prov backup`, 'give a file written by st2prov backup');
  if (magic !== `${MAGIC} ${BACKUP_FORMAT}`) throw new UsageError(`${file} is an st2prov backup of format ${magic.slice(MAGIC.length + 1)}; this st2prov reads format ${BACKUP_FORMAT}`, 'restore it with the st2prov that wrote it');
  let raw: Buffer;
  try {
    raw = gunzipSync(bytes.subarray(firstLine + 1));
  } catch (err) {
    throw corrupt((err as Error).message);
  }
  const headerEnd = raw.indexOf(0x0a);
  if (headerEnd < 0) throw corrupt('its list of contents is cut');
  let header: Header;
  try {
    header = JSON.parse(raw.subarray(0, headerEnd).toString('utf8')) as Header;
  } catch (err) {
    throw corrupt(`its list of contents does not parse (${(err as Error).message})`);
  }
  if (!isHeader(header)) throw corrupt('its list of contents lacks fields');
  let at = headerEnd + 1;
  const entries: Entry[] = [];
  for (const e of header.entries) {
    const data = raw.subarray(at, at + e.size);
    if (data.length !== e.size) throw corrupt(`${e.name} is cut`);
    if (sha256(data) !== e.sha256) throw corrupt(`${e.name} does not match its checksum`);
    if (!safeName(e.name)) throw corrupt(`an entry has the name "${e.name}"`);
    entries.push({ name: e.name, data: Buffer.from(data), ...(e.mode ? { mode: e.mode, owner: e.owner, group: e.group } : {}) });
    at += e.size;
  }
  if (at !== raw.length) throw corrupt(`${raw.length - at} bytes after its last entry`);
  return { manifest: header.manifest, entries };
}

function isHeader(h: unknown): h is Header {
  const x = h as Header;
  return typeof x === 'object' && x !== null && x.format === BACKUP_FORMAT && typeof x.manifest === 'object' && x.manifest !== null
    && Array.isArray(x.manifest.hosts) && typeof x.manifest.st2Version === 'string'
    && Array.isArray(x.entries) && x.entries.every((e) => typeof e.name === 'string' && Number.isInteger(e.size) && e.size >= 0 && typeof e.sha256 === 'string');
}

/** An entry name that cannot climb out of where it goes back (`..`), in one of the known areas. */
function safeName(name: string): boolean {
  return /^(state|files|dirs|mongodb)\//.test(name) && !name.split('/').some((p) => p === '..' || p === '.') && !name.includes('\0') && !/\/\//.test(name);
}

/**
 * Writes a new backup file: mode 0600 from its creation (a temp file created exclusively in
 * the same folder, never following a link), whole, then linked to its name, which must not
 * exist yet (link does not replace a file: two backups never overwrite each other).
 */
export function writeBackupFile(path: string, bytes: Buffer): void {
  const temp = join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      fchmodSync(fd, 0o600);
      writeSync(fd, bytes);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw refuseExisting(path);
      throw err;
    }
  } finally {
    unlinkSync(temp);
  }
}

export function refuseExisting(path: string): UsageError {
  return new UsageError(`${path} exists`, 'st2prov backup never replaces a file: give another --output, or move that one away');
}

export function readBackupFile(path: string): Backup {
  if (!existsSync(path)) throw new UsageError(`${path} does not exist`, 'give the file st2prov backup wrote');
  return decodeBackup(readFileSync(path), path);
}

/** What differs between the backup's cluster and the inventory's, each named; none: it may be restored. */
export function manifestDifferences(manifest: Manifest, hosts: readonly { name: string; role: Role | undefined }[], st2Version: string): string[] {
  const differences: string[] = [];
  const theirs = new Map(manifest.hosts.map((h) => [h.name, h.role]));
  const ours = new Map(hosts.map((h) => [h.name, h.role ?? null]));
  const missing = manifest.hosts.filter((h) => !ours.has(h.name)).map((h) => h.name);
  const added = hosts.filter((h) => !theirs.has(h.name)).map((h) => h.name);
  if (missing.length) differences.push(`the backup's hosts ${missing.join(', ')} are not in the inventory`);
  if (added.length) differences.push(`the inventory's hosts ${added.join(', ')} are not in the backup`);
  for (const [name, role] of ours) {
    if (theirs.has(name) && theirs.get(name) !== role) differences.push(`${name} is a ${theirs.get(name) ?? 'host without a role'} in the backup, a ${role ?? 'host without a role'} in the inventory`);
  }
  if (manifest.st2Version && manifest.st2Version !== st2Version) differences.push(`the backup is of st2 ${manifest.st2Version}, the inventory's st2_version is ${st2Version}`);
  return differences;
}
