import { opendirSync } from 'node:fs';
import { join } from 'node:path';
import { PlaybookError, RemoteCommandError } from '../core/errors.js';
import { shellScript } from '../core/command.js';
import { fact, type Fact } from '../core/fact.js';
import { limitText } from '../core/sizes.js';
import { digestLocalFile, type LocalFile } from './localFiles.js';

/** path (relative, "./" stripped) → sha256 and whether the owner may execute it */
export type Manifest = Map<string, { sha256: string; executable: boolean }>;

/** The same for a folder of the control machine, each file as the plan saw it (size, mtime, inode: what tells a change since). */
export type LocalManifest = Map<string, LocalFile>;

/**
 * The most a remote folder's listing brings back (a line a file: its SHA-256 and path), so
 * it stays far below a command's OUTPUT_LIMIT: about 100,000 files.
 */
export const MANIFEST_LIMIT = 16 * 1024 * 1024;
/** The most files a synced folder of the control machine may hold (its listing on a host stays within MANIFEST_LIMIT). */
export const SYNC_MAX_FILES = 100_000;

const REMOTE_MANIFEST = `cd "$1" 2>/dev/null || { echo missing; exit 0; }
echo present
{
  find . -path './.st2prov-sync.*' -prune -o -type f -print0 | xargs -0 -r sha256sum
  echo '@@exec'
  find . -path './.st2prov-sync.*' -prune -o -type f -perm -u+x -print
} | head -c "$2"`;

/** A remote folder with more files than its listing may hold: its host fails, naming it. */
export class ListingTooLarge extends Error {
  /** `lineBytes`: about what a file takes in the listing, for the number of files said */
  constructor(readonly dir: string, limit: number, lineBytes: number, remedy = '') {
    const about = Math.round(limit / lineBytes / 1000) * 1000;
    super(`${dir} holds more files than st2prov lists in one folder: its listing passes ${limitText(limit)}${about ? ` (about ${about.toLocaleString('en-US')} files)` : ''}; remove files from it${remedy}`);
    this.name = 'ListingTooLarge';
  }
}

/**
 * The checksums of every file under a remote folder, in one command; null when it is missing.
 * A listing past `limit` (too many files) is cut on the host and fails, naming the folder.
 */
export function remoteManifest(dir: string, limit = MANIFEST_LIMIT): Fact<Manifest | null> {
  return fact(`manifest:${dir}`, shellScript(REMOTE_MANIFEST, [dir, String(limit + 1)]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`listing ${dir}`, r.code, r.stderr);
    const [head, ...rest] = r.stdout.split('\n');
    if (head === 'missing') return null;
    if (head === 'present' && Buffer.byteLength(r.stdout) - 'present\n'.length > limit) throw new ListingTooLarge(dir, limit, 160, ', or from packs_dir');
    if (head !== 'present' || !rest.includes('@@exec')) throw new RemoteCommandError(`listing ${dir}`, null, 'output cut short');
    const manifest: Manifest = new Map();
    let exec = false;
    for (const line of rest) {
      if (line === '@@exec') {
        exec = true;
        continue;
      }
      if (!line) continue;
      if (exec) {
        const entry = manifest.get(line.replace(/^\.\//, ''));
        if (entry) entry.executable = true;
      } else {
        const path = line.slice(66).replace(/^\.\//, '');
        manifest.set(path, { sha256: line.slice(0, 64), executable: false });
      }
    }
    return manifest;
  });
}

/**
 * The same manifest for a folder on the control machine, each file hashed by streaming (any
 * size in bounded memory); folders are read entry by entry, and more than SYNC_MAX_FILES
 * files is an error that names the folder.
 */
export async function localManifest(dir: string, maxFiles = SYNC_MAX_FILES): Promise<LocalManifest> {
  const manifest: LocalManifest = new Map();
  const walk = async (rel: string) => {
    const folder = opendirSync(join(dir, rel));
    try {
      for (let entry = folder.readSync(); entry; entry = folder.readSync()) {
        const path = rel ? `${rel}/${entry.name}` : entry.name;
        if (/[\n\\]/.test(path)) throw new PlaybookError(`cannot sync ${join(dir, path)}: newline or backslash in its name`, 'rename the file');
        if (entry.isDirectory()) await walk(path);
        else if (entry.isFile()) {
          if (manifest.size >= maxFiles) throw new PlaybookError(`${dir} holds more than ${maxFiles} files, more than st2prov syncs`, 'keep fewer files in packs_dir (pack what belongs together in an archive a pack unpacks, or install big packs with st2_packs)');
          manifest.set(path, await digestLocalFile(join(dir, path)));
        }
      }
    } finally {
      folder.closeSync();
    }
  };
  await walk('');
  return manifest;
}
