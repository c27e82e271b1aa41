import { shellScript, type ExecResult } from '../core/command.js';
import { RemoteCommandError } from '../core/errors.js';
import { fact, familyFact, type Fact } from '../core/fact.js';
import { nonce, splitFramed } from '../core/framing.js';

export type FileState =
  | { exists: false; parentExists: boolean }
  | { exists: true; mode: number; owner: string; group: string; content: string };

/** A file's state as a shell function, `read_file PATH`: mode, owner and group then the content, or missing / missing-parent; exit 3 for what is not a regular file. */
const READ_FILE_FUNCTION = `read_file() {
  if [ -f "$1" ]; then stat -L -c '%a %U %G' -- "$1" && cat -- "$1"
  elif [ -e "$1" ]; then echo "not a regular file" >&2; return 3
  elif [ -d "$(dirname -- "$1")" ]; then echo missing
  else echo missing-parent; fi
}`;

/** One file ("$1") read by a script of its own (parseFileState reads what it prints). */
export const READ_FILE = `${READ_FILE_FUNCTION}
read_file "$1"`;

/*
 * Several files read by one shell, each by the same function as READ_FILE (same output, same
 * exit code, its own stderr), framed (core/framing.ts): a probe that reads a dozen files starts
 * two processes a file (stat, cat) instead of a shell, a subshell and those two.
 */
const READ_FILES = `${READ_FILE_FUNCTION}
n=$1; shift
e=$(mktemp) || exit 70
trap 'rm -f "$e"' EXIT
for p; do
  printf '\\n@@%s\\n' "$n"
  read_file "$p" </dev/null 2>"$e"
  printf '\\n@@%s %s ' "$n" "$?"
  [ ! -s "$e" ] || base64 -w0 <"$e"
done`;

/** A file's mode, owner, group and content, or that it (or its folder) is missing; files asked together are read by one shell. */
export function fileState(path: string): Fact<FileState> {
  return familyFact('files', [path], filesRead, (whole, [mine], all) => {
    const r = whole[all.indexOf(mine!)]!;
    if (r.code !== 0) throw new RemoteCommandError(`reading ${mine}`, r.code, r.stderr);
    return parseFileState(r.stdout);
  });
}

function filesRead(paths: readonly string[]): Fact<ExecResult[]> {
  const frame = nonce();
  return fact(`file:${paths.join('\n')}`, shellScript(READ_FILES, [frame, ...paths]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading ${paths.join(', ')}`, r.code, r.stderr);
    const results = splitFramed(r.stdout, frame, { ended: false });
    if (results.length !== paths.length) throw new RemoteCommandError(`reading ${paths.join(', ')}`, null, `${results.length} of ${paths.length} files read: output cut short`);
    return results;
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

const STAT_PATHS = `for p; do
  if [ -e "$p" ] || [ -L "$p" ]; then stat -c '%F|%a|%U|%G' -- "$p" || echo "@@failed $?"; else echo missing; fi
done`;

/** What is at a path, without reading it; paths asked together are looked at by one shell. */
export function pathState(path: string): Fact<PathState> {
  return familyFact('paths', [path], pathsRead, (whole, [mine], all) => {
    const line = whole.lines[all.indexOf(mine!)]!;
    const failed = /^@@failed (\d+)$/.exec(line);
    if (failed) throw new RemoteCommandError(`inspecting ${mine}`, Number(failed[1]), whole.stderr);
    if (line === 'missing') return { kind: 'missing', mode: 0, owner: '', group: '' };
    const [type, mode, owner, group] = line.split('|');
    const kind = type === 'directory' ? 'directory' : type!.startsWith('regular') ? 'file' : 'other';
    return { kind, mode: parseInt(mode!, 8), owner: owner!, group: group! };
  });
}

function pathsRead(paths: readonly string[]): Fact<{ lines: string[]; stderr: string }> {
  return fact(`path:${paths.join('\n')}`, shellScript(STAT_PATHS, paths), (r) => {
    const lines = r.stdout.split('\n');
    if (r.code !== 0 || lines.length < paths.length + 1) throw new RemoteCommandError(`inspecting ${paths.join(', ')}`, r.code, r.stderr);
    return { lines, stderr: r.stderr };
  });
}
