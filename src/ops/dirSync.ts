import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlaybookError } from '../core/errors.js';
import { change, type Change } from '../core/change.js';
import { RUN_ID } from '../core/runId.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { fileState } from '../facts/files.js';
import { localManifest, remoteManifest, type Manifest } from '../facts/manifest.js';
import { shellScript } from '../core/command.js';
import { unifiedDiff } from './file.js';
import { announce } from './fileWrite.js';

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
 * The tar stream lands in a staging folder inside the destination and counts only once the
 * announced bytes arrived whole (length and SHA-256); then each file is renamed into place,
 * so no file is ever live half-written, whatever cuts the transfer. Staging folders of
 * another run (a killed one) are swept first.
 */
const EXTRACT = `set -e
d=$1; o=$2; size=$3; sum=$4; run=$5; shift 5
mkdir -p "$d"; cd "$d"
for f in .st2prov-sync.*; do case "$f" in ".st2prov-sync.$run."*) ;; *) if [ -e "$f" ]; then rm -rf -- "$f"; fi ;; esac; done
if [ "$1" = "--tar" ]; then
  shift
  s=$(mktemp -d ".st2prov-sync.$run.XXXXXX")
  trap 'rm -rf "$d/$s"' EXIT
  trap 'exit 1' HUP INT TERM PIPE
  cat >"$s/stream.tar"
  got=$(wc -c <"$s/stream.tar")
  if [ "$got" -ne "$size" ] || [ "$(sha256sum <"$s/stream.tar" | cut -d' ' -f1)" != "$sum" ]; then
    echo "received $got of $size bytes, or not the bytes sent: the transfer was cut; nothing in $d changed" >&2
    exit 75
  fi
  mkdir "$s/files"
  tar -xf "$s/stream.tar" -C "$s/files" --no-same-owner
  (cd "$s/files" && find . -type f) | while IFS= read -r f; do
    mkdir -p "$(dirname -- "$f")"
    mv -f -- "$s/files/$f" "$f"
  done
fi
[ "$1" = "--" ] && shift
for f; do rm -f -- "$f"; done
if [ $# -gt 0 ]; then find . -mindepth 1 -depth -type d -empty ! -name '.st2prov-sync.*' -delete; fi
if [ -n "$o" ]; then chown -R "$o" .; fi`;

/**
 * A remote folder with the same files as a local one, compared by checksum: one command
 * lists the host's checksums, one tar stream carries every changed file.
 */
export function dirSync(spec: DirSyncSpec): Operation {
  let local: Manifest | undefined;
  return {
    title: `sync ${spec.source} → ${spec.dest}`,
    facts: () => [remoteManifest(spec.dest)],
    async plan(host) {
      if (spec.optional && !existsSync(spec.source)) return [];
      local ??= readLocal(spec.source);
      const remote = (await host.fact(remoteManifest(spec.dest))) ?? new Map();
      const send = [...local].filter(([path, l]) => {
        const r = remote.get(path);
        return !r || r.sha256 !== l.sha256 || r.executable !== l.executable;
      }).map(([path]) => path).sort();
      const kept = (path: string) => (spec.keep ?? []).some((k) => path.startsWith(`${k}/`));
      const remove = spec.delete ? [...remote.keys()].filter((p) => !local!.has(p) && !kept(p)).sort() : [];
      if (send.length === 0 && remove.length === 0) return [];
      const diff = await describeDiff(host, spec, send, remove, remote);
      const parts = [send.length ? `${send.length} file(s) to send` : '', remove.length ? `${remove.length} to delete` : ''].filter(Boolean);
      const result: Change[] = [
        change({
          kind: 'sync',
          summary: `sync ${spec.dest}: ${parts.join(', ')}`,
          diff,
          ...(spec.notify ? { notify: spec.notify } : {}),
          apply: async () => {
            const tar = send.length ? await tarOf(spec.source, send) : undefined;
            const args = [spec.dest, spec.owner ?? '', ...(tar ? announce(tar) : ['0', '']), RUN_ID, ...(tar ? ['--tar'] : []), '--', ...remove];
            await host.run(`syncing ${spec.dest}`, { argv: shellScript(EXTRACT, args), ...(tar ? { stdin: tar } : {}) });
          },
        }),
      ];
      return result;
    },
  };
}

function readLocal(dir: string): Manifest {
  try {
    return localManifest(dir);
  } catch (err) {
    if (err instanceof PlaybookError) throw err;
    throw new PlaybookError(`cannot read ${dir}: ${(err as Error).message}`, 'create the folder or set packs_dir');
  }
}

async function describeDiff(host: HostContext, spec: DirSyncSpec, send: string[], remove: string[], remote: Manifest): Promise<string> {
  const lines: string[] = [];
  const diffable = send.length <= DIFFED_FILES ? send : [];
  await host.prefetch(diffable.filter((p) => remote.has(p)).map((p) => fileState(join(spec.dest, p))));
  for (const path of send) {
    const target = join(spec.dest, path);
    const content = readFileSync(join(spec.source, path));
    const textual = diffable.includes(path) && content.length <= DIFFED_BYTES && !content.includes(0);
    if (!textual) {
      lines.push(`${remote.has(path) ? 'update' : 'create'} ${target}`);
      continue;
    }
    const before = remote.has(path) ? await host.fact(fileState(target)) : undefined;
    const old = before?.exists ? before.content : '';
    lines.push(old === content.toString() ? `mode ${target}\n` : unifiedDiff(target, old, content.toString(), !before));
  }
  for (const path of remove) lines.push(`delete ${join(spec.dest, path)}`);
  return lines.join('\n');
}

function tarOf(dir: string, paths: string[]): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tar = spawn('tar', ['-c', '-f', '-', '-C', dir, '--null', '-T', '-'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    tar.stdout.on('data', (c: Buffer) => out.push(c));
    tar.stderr.on('data', (c: Buffer) => (err += c.toString()));
    tar.on('error', reject);
    tar.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out)) : reject(new PlaybookError(`tar of ${dir} failed: ${err.trim()}`))));
    tar.stdin.end(paths.map((p) => `${p}\0`).join(''));
  });
}
