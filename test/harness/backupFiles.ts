import { createHash } from 'node:crypto';
import { lstatSync, readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { Manifest } from '../../src/backup/archive.js';
import { keyId } from '../../src/backup/backupKey.js';
import { BackupWriter, type EntryHeader } from '../../src/backup/format.js';

/** A backup key for tests, from a seed: the same seed, the same key. */
export function testKey(seed: string): Buffer {
  return createHash('sha256').update(`st2prov test backup key ${seed}`).digest();
}

export interface TestEntry {
  header: EntryHeader;
  data?: Buffer | string;
}

/**
 * A backup file's bytes, written by the real writer: what st2prov writes when the entries are
 * good, and a crafted file when they are not (the writer checks nothing of them, as a forger's
 * would not). `signWith`: the key of the MAC when it is not the one the manifest names.
 */
export async function backupBytes(manifest: Omit<Manifest, 'keyId'> & { keyId?: string }, entries: readonly TestEntry[], key: Buffer, signWith: Buffer = key): Promise<Buffer> {
  const parts: Buffer[] = [];
  const writer = new BackupWriter({ write: async (p) => void parts.push(...p.map((b) => Buffer.from(b))) }, signWith);
  await writer.start({ ...manifest, keyId: manifest.keyId ?? keyId(key) });
  for (const e of entries) await writer.entry(e.header, e.data === undefined ? undefined : Buffer.from(e.data));
  await writer.finish();
  return Buffer.concat(parts);
}

/**
 * Every file, folder and link under a folder with its mode and content digest (or target): two
 * snapshots are equal only when nothing was added, removed, changed or chmod'ed.
 */
export function folderSnapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (rel: string) => {
    const path = join(dir, rel);
    const st = lstatSync(path);
    const mode = (st.mode & 0o7777).toString(8).padStart(4, '0');
    if (st.isSymbolicLink()) out[rel] = `link ${readlinkSync(path)}`;
    else if (st.isDirectory()) {
      out[rel] = `dir ${mode}`;
      for (const name of readdirSync(path).sort()) walk(rel ? `${rel}/${name}` : name);
    } else out[rel] = `file ${mode} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
  };
  walk('');
  return out;
}
