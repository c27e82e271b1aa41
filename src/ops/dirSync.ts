import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PlaybookError } from '../core/errors.js';
import { change, type Change } from '../core/change.js';
import { onceEach } from '../core/lazy.js';
import { RUN_ID } from '../core/runId.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { sizeText } from '../core/sizes.js';
import { fileState } from '../facts/files.js';
import { LocalFileChanged, readLocalFile, type LocalFile } from '../facts/localFiles.js';
import { localManifest, remoteManifest, type LocalManifest, type Manifest } from '../facts/manifest.js';
import { shellScript } from '../core/command.js';
import { unifiedDiff } from './file.js';

export interface DirSyncSpec {
  /** folder on the control machine */
  source: string;
  /** folder on the host */
  dest: string;
  /** nothing to do when the source folder does not exist (an optional packs/ folder) */
  optional?: boolean;
  /** remove files on the host that the source does not have */
  delete?: boolean;
  /** top-level folders of dest that are not the sync's (packs st2-pack-install put there): never deleted */
  keep?: readonly string[];
  /** "user:group" for the files written */
  owner?: string;
  notify?: string[];
}

const DIFFED_FILES = 20;
const DIFFED_BYTES = 64 * 1024;

/*
 * What the host gets on stdin: a line with two lengths, the list of the files to send in
 * sha256sum's check format (each with the SHA-256 the plan found), the files to delete
 * (NUL-ended), then a tar stream of the files to send, read by tar as it comes (nothing of it
 * is held whole on either side). The files land in a staging folder inside the destination;
 * only once every file of the list is there, regular and with its planned SHA-256, and there
 * is nothing else, is each renamed into place: so no file is ever live half-written or other
 * than planned, whatever cuts the transfer or changes a file on the control machine
 * meanwhile. Staging folders of another run (a killed one) are swept first.
 */
const EXTRACT = `set -e
d=$1; o=$2; run=$3
mkdir -p "$d"; cd "$d"
for f in .st2prov-sync.*; do case "$f" in ".st2prov-sync.$run."*) ;; *) if [ -e "$f" ]; then rm -rf -- "$f"; fi ;; esac; done
s=$(mktemp -d ".st2prov-sync.$run.XXXXXX")
trap 'rm -rf "$d/$s"' EXIT
trap 'exit 1' HUP INT TERM PIPE
refuse() { echo "$1; nothing in $d changed" >&2; exit "$2"; }
read -r ns nr || refuse 'the transfer was cut (no list)' 75
head -c "$ns" >"$s/sums"
head -c "$nr" >"$s/remove"
[ "$(wc -c <"$s/sums")" -eq "$ns" ] && [ "$(wc -c <"$s/remove")" -eq "$nr" ] || refuse 'the transfer was cut (in the list)' 75
mkdir "$s/files"
if [ "$ns" -gt 0 ]; then
  tar -x -f - -C "$s/files" --no-same-owner 2>"$s/tar" || refuse "the transfer was cut (tar: $(tail -n 1 "$s/tar"))" 75
  cat >/dev/null
  if [ -n "$(find "$s/files" ! -type d ! -type f -print)" ] || [ "$(find "$s/files" -type f | wc -l)" -ne "$(wc -l <"$s/sums")" ] ||
    ! (cd "$s/files" && sha256sum -c --quiet --strict ../sums) >"$s/check" 2>&1; then
    refuse "the files that arrived are not the ones planned: $(head -n 3 "$s/check" | tr '\\n' ' ')" 76
  fi
  (cd "$s/files" && find . -type f) | while IFS= read -r f; do
    mkdir -p "$(dirname -- "$f")"
    mv -f -- "$s/files/$f" "$f"
  done
fi
if [ "$nr" -gt 0 ]; then
  xargs -0 -r rm -f -- <"$s/remove"
  find . -mindepth 1 -depth -type d -empty ! -name '.st2prov-sync.*' -delete
fi
if [ -n "$o" ]; then chown -R "$o" .; fi`;

/** Each source folder's files hashed once a run, for every host (a pack file of gigabytes is read once, not once a host). */
const localFiles = onceEach((dir: string) => readLocal(dir));

/**
 * A remote folder with the same files as a local one, compared by checksum: one command
 * lists the host's checksums, one tar stream carries every changed file.
 */
export function dirSync(spec: DirSyncSpec): Operation {
  return {
    title: `sync ${spec.source} → ${spec.dest}`,
    facts: () => [remoteManifest(spec.dest)],
    async plan(host) {
      if (spec.optional && !existsSync(spec.source)) return [];
      const local = await localFiles(spec.source);
      const remote = (await host.fact(remoteManifest(spec.dest))) ?? new Map();
      const send = [...local].filter(([path, l]) => {
        const r = remote.get(path);
        return !r || r.sha256 !== l.sha256 || r.executable !== l.executable;
      }).map(([path]) => path).sort();
      const kept = (path: string) => (spec.keep ?? []).some((k) => path.startsWith(`${k}/`));
      const remove = spec.delete ? [...remote.keys()].filter((p) => !local.has(p) && !kept(p)).sort() : [];
      if (send.length === 0 && remove.length === 0) return [];
      const diff = await describeDiff(host, spec, send, remove, remote, local);
      const parts = [send.length ? `${send.length} file(s) to send` : '', remove.length ? `${remove.length} to delete` : ''].filter(Boolean);
      const result: Change[] = [
        change({
          kind: 'sync',
          summary: `sync ${spec.dest}: ${parts.join(', ')}`,
          diff,
          ...(spec.notify ? { notify: spec.notify } : {}),
          apply: () => sendFiles(host, spec, send.map((p) => [p, local.get(p)!]), remove),
        }),
      ];
      return result;
    },
  };
}

async function readLocal(dir: string): Promise<LocalManifest> {
  try {
    return await localManifest(dir);
  } catch (err) {
    if (err instanceof PlaybookError) throw err;
    throw new PlaybookError(`cannot read ${dir}: ${(err as Error).message}`, 'create the folder or set packs_dir');
  }
}

async function describeDiff(host: HostContext, spec: DirSyncSpec, send: string[], remove: string[], remote: Manifest, local: LocalManifest): Promise<string> {
  const lines: string[] = [];
  // a text diff for a few small files; the others by size and digest, read by nobody
  const diffable = send.length <= DIFFED_FILES ? send.filter((p) => local.get(p)!.size <= DIFFED_BYTES) : [];
  await host.prefetch(diffable.filter((p) => remote.has(p)).map((p) => fileState(join(spec.dest, p))));
  for (const path of send) {
    const target = join(spec.dest, path);
    const planned = local.get(path)!;
    const text = diffable.includes(path) ? textOf(join(spec.source, path)) : undefined;
    const before = text !== undefined && remote.has(path) ? await host.fact(fileState(target)) : undefined;
    const old = before?.exists ? before.content : '';
    if (text === undefined || old === undefined) {
      lines.push(`${remote.has(path) ? 'update' : 'create'} ${target} (${sizeText(planned.size)}, sha256 ${planned.sha256})`);
      continue;
    }
    lines.push(old === text ? `mode ${target}\n` : unifiedDiff(target, old, text, !before));
  }
  for (const path of remove) lines.push(`delete ${join(spec.dest, path)}`);
  return lines.join('\n');
}

/** A small local file's text, or undefined when it is binary, or larger than a diff shows. */
function textOf(path: string): string | undefined {
  let bytes: Buffer;
  try {
    bytes = readLocalFile(path, DIFFED_BYTES, 'packs_dir');
  } catch {
    return undefined;
  }
  return bytes.includes(0) ? undefined : bytes.toString();
}

/**
 * The files sent in one stream (the list, then tar's output as tar makes it) and the deleted
 * ones named; a host that refuses what arrived because a local file changed since the plan
 * says which.
 */
async function sendFiles(host: HostContext, spec: DirSyncSpec, send: [string, LocalFile][], remove: string[]): Promise<void> {
  const sums = Buffer.from(send.map(([path, f]) => `${f.sha256}  ./${path}\n`).join(''));
  const removed = Buffer.from(remove.map((p) => `${p}\0`).join(''));
  const stdin = Readable.from(streamOf(Buffer.concat([Buffer.from(`${sums.length} ${removed.length}\n`), sums, removed]), spec.source, send.map(([p]) => p)), { objectMode: false });
  try {
    await host.run(`syncing ${spec.dest}`, { argv: shellScript(EXTRACT, [spec.dest, spec.owner ?? '', RUN_ID]), stdin });
  } catch (err) {
    const changed = send.find(([path, f]) => changedSince(join(spec.source, path), f));
    if (changed) throw new LocalFileChanged(join(spec.source, changed[0]), changed[1]);
    throw err;
  } finally {
    stdin.destroy();
  }
}

/** The list, then the tar stream of the files (paths "./"-prefixed: never read as tar options); tar is stopped when the stream is. */
async function* streamOf(list: Buffer, dir: string, paths: string[]): AsyncGenerator<Buffer> {
  yield list;
  if (paths.length === 0) return;
  const tar = spawn('tar', ['-c', '-f', '-', '-C', dir, '--null', '--no-recursion', '-T', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4096)));
  const exited = new Promise<number | null>((resolve, reject) => {
    tar.once('error', reject);
    tar.once('close', resolve);
  });
  exited.catch(() => undefined);
  tar.stdin.on('error', () => undefined);
  tar.stdin.end(paths.map((p) => `./${p}\0`).join(''));
  try {
    for await (const chunk of tar.stdout) yield chunk as Buffer;
    const code = await exited;
    if (code !== 0) throw new PlaybookError(`tar of ${dir} failed: ${stderr.trim()}`, 'check that packs_dir can be read');
  } finally {
    if (tar.exitCode === null) tar.kill();
  }
}

/** A file is no longer what the plan hashed: other size, mtime or inode (or gone). */
function changedSince(path: string, planned: LocalFile): boolean {
  try {
    const now = statSync(path);
    return now.size !== planned.size || now.mtimeMs !== planned.mtimeMs || now.ino !== planned.ino;
  } catch {
    return true;
  }
}
