import { RemoteCommandError } from '../core/errors.js';
import { shellScript } from '../core/command.js';
import { fact, type Fact } from '../core/fact.js';

export type FileState =
  | { exists: false; parentExists: boolean }
  | { exists: true; mode: number; owner: string; group: string; content: string };

export const READ_FILE = `if [ -f "$1" ]; then stat -L -c '%a %U %G' "$1" && exec cat "$1"
elif [ -e "$1" ]; then echo "not a regular file" >&2; exit 3
elif [ -d "$(dirname "$1")" ]; then echo missing
else echo missing-parent; fi`;

/** A file's mode, owner, group and content, or that it (or its folder) is missing. */
export function fileState(path: string): Fact<FileState> {
  return fact(`file:${path}`, shellScript(READ_FILE, [path]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading ${path}`, r.code, r.stderr);
    return parseFileState(r.stdout);
  });
}

/** What READ_FILE printed, as a FileState. */
export function parseFileState(stdout: string): FileState {
  const nl = stdout.indexOf('\n');
  const head = stdout.slice(0, nl);
  if (head === 'missing') return { exists: false, parentExists: true };
  if (head === 'missing-parent') return { exists: false, parentExists: false };
  const [mode, owner, group] = head.split(' ');
  return { exists: true, mode: parseInt(mode!, 8), owner: owner!, group: group!, content: stdout.slice(nl + 1) };
}

export interface PathState {
  kind: 'missing' | 'file' | 'directory' | 'other';
  mode: number;
  owner: string;
  group: string;
}

/** What is at a path, without reading it. */
export function pathState(path: string): Fact<PathState> {
  const script = `if [ -e "$1" ] || [ -L "$1" ]; then stat -c '%F|%a|%U|%G' "$1"; else echo missing; fi`;
  return fact(`path:${path}`, shellScript(script, [path]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`inspecting ${path}`, r.code, r.stderr);
    const line = r.stdout.trim();
    if (line === 'missing') return { kind: 'missing', mode: 0, owner: '', group: '' };
    const [type, mode, owner, group] = line.split('|');
    const kind = type === 'directory' ? 'directory' : type!.startsWith('regular') ? 'file' : 'other';
    return { kind, mode: parseInt(mode!, 8), owner: owner!, group: group! };
  });
}
