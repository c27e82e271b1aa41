import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { PlaybookError, RemoteCommandError } from '../core/errors.js';
import { shellScript } from '../core/command.js';
import { fact, type Fact } from '../core/fact.js';

/** path (relative, "./" stripped) → sha256 and whether the owner may execute it */
export type Manifest = Map<string, { sha256: string; executable: boolean }>;

const REMOTE_MANIFEST = `cd "$1" 2>/dev/null || { echo missing; exit 0; }
echo present
find . -path './.st2prov-sync.*' -prune -o -type f -print0 | xargs -0 -r sha256sum
echo '@@exec'
find . -path './.st2prov-sync.*' -prune -o -type f -perm -u+x -print`;

/** The checksums of every file under a remote folder, in one command; null when it is missing. */
export function remoteManifest(dir: string): Fact<Manifest | null> {
  return fact(`manifest:${dir}`, shellScript(REMOTE_MANIFEST, [dir]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`listing ${dir}`, r.code, r.stderr);
    const [head, ...rest] = r.stdout.split('\n');
    if (head === 'missing') return null;
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

/** The same manifest for a folder on the control machine. */
export function localManifest(dir: string): Manifest {
  const manifest: Manifest = new Map();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(dir, rel), { withFileTypes: true })) {
      const path = rel ? `${rel}/${entry.name}` : entry.name;
      if (/[\n\\]/.test(path)) throw new PlaybookError(`cannot sync ${join(dir, path)}: newline or backslash in its name`, 'rename the file');
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const full = join(dir, path);
        manifest.set(path, {
          sha256: createHash('sha256').update(readFileSync(full)).digest('hex'),
          executable: (statSync(full).mode & 0o100) !== 0,
        });
      }
    }
  };
  walk('');
  return manifest;
}
