import { shellScript, type ExecResult } from '../core/command.js';
import { RemoteCommandError } from '../core/errors.js';
import { fact, familyFact, type Fact } from '../core/fact.js';
import { nonce, splitFramed } from '../core/framing.js';

export type FileState =
  | { exists: false; parentExists: boolean }
  | { exists: true; mode: number; owner: string; group: string; content: string };

/**
 * A file's state as shell functions. `kind_of PATH` sets k to file, other (there, not a regular
 * file), missing or missing-parent, with the shell's own tests (its folder by the path's text
 * where that is plain, else dirname). `read_file PATH` prints mode, owner and group then the
 * content, or missing / missing-parent; exit 3 for what is not a regular file.
 */
const READ_FILE_FUNCTION = `kind_of() {
  if [ -f "$1" ]; then k=file
  elif [ -e "$1" ]; then k=other
  else
    case $1 in
      ''|*/) d=$(dirname -- "$1") ;;
      */*) d=\${1%/*}; d=\${d:-/} ;;
      *) d=. ;;
    esac
    if [ -d "$d" ]; then k=missing; else k=missing-parent; fi
  fi
}
read_file() {
  kind_of "$1"
  case $k in
    file) stat -L -c '%a %U %G' -- "$1" && cat -- "$1" ;;
    other) echo "not a regular file" >&2; return 3 ;;
    *) echo "$k" ;;
  esac
}`;

/** One file ("$1") read by a script of its own (parseFileState reads what it prints). */
export const READ_FILE = `${READ_FILE_FUNCTION}
read_file "$1"`;

/*
 * Several files read by one shell, each answered as READ_FILE alone would answer it (same
 * output, same exit code, same stderr), with a few processes for the lot instead of two a
 * file. The shell's own tests say which paths are regular files, missing (or their folder
 * too) or something else. The regular files are then read together: their stat (`size inode
 * mtime ctime mode owner group`), one cat of them all into a private temp folder, the same
 * stat again with the copy's own last (the folder goes however the shell ends: the copy may
 * hold secrets). Unchanged meanwhile and the copy as long as the sizes add up, the stat lines
 * and the copy in base64 are printed and split by size here; otherwise (a file changed while
 * it was read, a stat that failed) each regular file is read again, alone, by READ_FILE's
 * function, framed (core/framing.ts), in the same command.
 */
const READ_FILES = `${READ_FILE_FUNCTION}
n=$1; shift
t=$(mktemp -d "\${TMPDIR:-/tmp}/.st2prov-files.XXXXXX") || exit 70
trap 'rm -rf "$t"' EXIT
trap 'exit 1' HUP INT TERM PIPE
printf '@@%s kinds\\n' "$n"
for p; do
  shift
  kind_of "$p"
  echo "$k"
  [ "$k" != file ] || set -- "$@" "$p"
done
[ $# -gt 0 ] || exit 0
f='%s %i %Y %Z %a %U %G'
nl='
'
if b=$(stat -L -c "$f" -- "$@" 2>/dev/null) && cat -- "$@" >"$t/c" 2>/dev/null &&
  a=$(stat -L -c "$f" -- "$@" "$t/c" 2>/dev/null) && [ "\${a%"$nl"*}" = "$b" ]; then
  s=0
  while read -r z r; do s=$((s + z)); done <<EOF
$b
EOF
  c=\${a##*"$nl"}
  if [ "\${c%% *}" = "$s" ]; then
    printf '@@%s together\\n%s\\n@@%s copy\\n' "$n" "$b" "$n"
    base64 -w0 <"$t/c"
    exit
  fi
fi
printf '@@%s alone\\n' "$n"
for p; do
  printf '\\n@@%s\\n' "$n"
  read_file "$p" </dev/null 2>"$t/e"
  printf '\\n@@%s %s ' "$n" "$?"
  [ ! -s "$t/e" ] || base64 -w0 <"$t/e"
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
    const what = `reading ${paths.join(', ')}`;
    if (r.code !== 0) throw new RemoteCommandError(what, r.code, r.stderr);
    const results = filesPrinted(r.stdout, frame, paths.length);
    if (typeof results === 'string') throw new RemoteCommandError(what, null, results);
    return results;
  });
}

/** What READ_FILE alone prints for what is not a regular file, by the kind READ_FILES found. */
const NOT_READ: Record<string, ExecResult> = {
  missing: { code: 0, stdout: 'missing\n', stderr: '' },
  'missing-parent': { code: 0, stdout: 'missing-parent\n', stderr: '' },
  other: { code: 3, stdout: '', stderr: 'not a regular file\n' },
};

/** Each path's result, as READ_FILE alone would give it, out of READ_FILES' output; or why it cannot be read (output cut short). */
function filesPrinted(stdout: string, frame: string, count: number): ExecResult[] | string {
  const cut = 'output cut short';
  const kindsMark = `@@${frame} kinds\n`;
  if (!stdout.startsWith(kindsMark)) return cut;
  const kinds: string[] = [];
  let at = kindsMark.length;
  while (kinds.length < count) {
    const nl = stdout.indexOf('\n', at);
    if (nl < 0) return cut;
    kinds.push(stdout.slice(at, nl));
    at = nl + 1;
  }
  if (kinds.some((k) => k !== 'file' && !(k in NOT_READ))) return cut;
  const rest = stdout.slice(at);
  const regular = kinds.filter((k) => k === 'file').length;
  let read: ExecResult[];
  if (regular === 0) {
    if (rest !== '') return cut;
    read = [];
  } else if (rest.startsWith(`@@${frame} together\n`)) {
    const copyMark = `\n@@${frame} copy\n`;
    const end = rest.indexOf(copyMark);
    if (end < 0) return cut;
    const stats = rest.slice(`@@${frame} together\n`.length, end).split('\n');
    const copy = Buffer.from(rest.slice(end + copyMark.length), 'base64');
    // each line: size inode mtime ctime, then mode owner group as READ_FILE prints them
    const files = stats.map((line) => ({ size: Number(line.split(' ', 1)[0]), head: line.split(' ').slice(4).join(' ') }));
    if (files.length !== regular || files.reduce((sum, f) => sum + f.size, 0) !== copy.length) return cut;
    let from = 0;
    read = files.map((f) => ({ code: 0, stdout: `${f.head}\n${copy.subarray(from, (from += f.size)).toString()}`, stderr: '' }));
  } else if (rest.startsWith(`@@${frame} alone\n`)) {
    read = splitFramed(rest, frame, { ended: false });
    if (read.length !== regular) return cut;
  } else {
    return cut;
  }
  return kinds.map((k) => (k === 'file' ? read.shift()! : { ...NOT_READ[k]! }));
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
