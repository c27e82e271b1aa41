import { createHash } from 'node:crypto';
import { shellScript, type ExecResult } from '../core/command.js';
import type { HostContext } from '../core/context.js';
import { RemoteCommandError } from '../core/errors.js';
import { fact, familyFact, type Fact } from '../core/fact.js';
import { nonce, splitFramed } from '../core/framing.js';
import { limitText, sizeText } from '../core/sizes.js';

/**
 * Files up to this size are read whole: an edit needs the text, a diff shows it. A larger file
 * is read by its size and SHA-256, worked out on the host, so a file of any size costs a line.
 */
export const FILE_CONTENT_LIMIT = 1024 * 1024;
/**
 * The most content one read of several files brings back (base64 adds a third): past it, the
 * files left are read by digest too, and one that is edited is read again alone. A play's
 * facts come back in one command's output, which is held to OUTPUT_LIMIT (64 MiB).
 */
export const FILES_READ_BUDGET = 8 * 1024 * 1024;

export type FileState = { exists: false; parentExists: boolean } | PresentFile;

/** A regular file as read: its attributes, size and digest, and its text when it was read whole. */
export interface PresentFile {
  exists: true;
  mode: number;
  owner: string;
  group: string;
  /** bytes */
  size: number;
  /** hex SHA-256 of its bytes */
  sha256: string;
  /** its bytes as UTF-8 text; undefined when it was read by digest (larger than FILE_CONTENT_LIMIT) */
  content: string | undefined;
}

/** A file read whole: its text is there. */
export type TextFile = PresentFile & { content: string };

/**
 * A file's state as shell functions. `kind_of PATH` sets k to file, other (there, not a regular
 * file), missing or missing-parent, with the shell's own tests (its folder by the path's text
 * where that is plain, else dirname). `read_file PATH MOST` prints `mode owner group size` and
 * then, up to MOST bytes, `whole` and the content in base64 (z is then its size), else `sha256`
 * and sha256sum's line (z=0); or missing / missing-parent; exit 3 for what is not a regular file.
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
  z=0
  case $k in
    file)
      h=$(stat -L -c '%a %U %G %s' -- "$1") || return
      if [ "\${h##* }" -le "$2" ]; then
        z=\${h##* }
        printf '%s whole\\n' "$h" && base64 -w0 -- "$1"
      else
        printf '%s sha256\\n' "$h" && sha256sum <"$1"
      fi ;;
    other) echo "not a regular file" >&2; return 3 ;;
    *) echo "$k" ;;
  esac
}`;

/** One file ("$1") read by a script of its own (parseFileState reads what it prints). */
export const READ_FILE = `${READ_FILE_FUNCTION}
read_file "$1" ${FILE_CONTENT_LIMIT}`;

/*
 * Several files read by one shell, each answered as READ_FILE alone would answer it (but that
 * past the read's budget a file is read by digest), with a few processes for the lot instead of
 * several a file. The shell's own tests say which paths are
 * regular files, missing (or their folder too) or something else. The regular files are then
 * read together: their stat (`size inode mtime ctime mode owner group`), then each is read
 * whole (up to FILE_CONTENT_LIMIT, while the total stays within FILES_READ_BUDGET) or by
 * digest (sha256sum, on the host), recorded as one letter a file (w or h); the whole ones by
 * one cat into a private temp folder (the folder goes however the shell ends: the copy may
 * hold secrets). The same stat again, with the copy's own last: unchanged meanwhile and the
 * copy as long as the sizes add up, the stat lines, the letters, the digests and the copy in
 * base64 are printed and split by size here; otherwise (a file changed while it was read, a
 * stat that failed, a file whose size does not say what it holds) each regular file is read
 * again, alone, by READ_FILE's function (within what is left of the budget), framed
 * (core/framing.ts), in the same command.
 */
const READ_FILES = `${READ_FILE_FUNCTION}
n=$1; most=$2; budget=$3; shift 3
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
if b=$(stat -L -c "$f" -- "$@" 2>/dev/null); then
  s=0; w=; r=$b$nl
  for p; do
    z=\${r%% *}; r=\${r#*"$nl"}
    if [ "$z" -le "$most" ] && [ $((s + z)) -le "$budget" ]; then s=$((s + z)); w=\${w}w; else w=\${w}h; fi
  done
  h=; ok=1
  case $w in
    *h*)
      : >"$t/c"; e=$w
      for p; do
        case $e in
          w*) cat -- "$p" >>"$t/c" 2>/dev/null || ok= ;;
          *) x=$(sha256sum <"$p" 2>/dev/null) || ok=; h=$h$x$nl ;;
        esac
        e=\${e#?}
      done ;;
    *) cat -- "$@" >"$t/c" 2>/dev/null || ok= ;;
  esac
  if [ -n "$ok" ] && a=$(stat -L -c "$f" -- "$@" "$t/c" 2>/dev/null) && [ "\${a%"$nl"*}" = "$b" ]; then
    c=\${a##*"$nl"}
    if [ "\${c%% *}" = "$s" ]; then
      printf '@@%s together\\n%s\\n@@%s read %s\\n%s@@%s copy\\n' "$n" "$b" "$n" "$w" "$h" "$n"
      base64 -w0 <"$t/c"
      exit
    fi
  fi
fi
printf '@@%s alone\\n' "$n"
s=0
for p; do
  printf '\\n@@%s\\n' "$n"
  m=$((budget - s)); [ "$m" -le "$most" ] || m=$most
  read_file "$p" "$m" </dev/null 2>"$t/e"
  printf '\\n@@%s %s ' "$n" "$?"
  s=$((s + z))
  [ ! -s "$t/e" ] || base64 -w0 <"$t/e"
done`;

/** A file's mode, owner, group, size and digest, its text when small, or that it (or its folder) is missing; files asked together are read by one shell. */
export function fileState(path: string): Fact<FileState> {
  return familyFact('files', [path], filesRead, (whole, [mine], all) => {
    const r = whole[all.indexOf(mine!)]!;
    if ('exists' in r) return r;
    throw new RemoteCommandError(`reading ${mine}`, r.code, r.stderr);
  });
}

/** The same file read by a command of its own (never with others): whole when it is small enough, whatever else a play reads. */
export function fileStateAlone(path: string): Fact<FileState> {
  return fact(`file-alone:${path}`, shellScript(READ_FILE, [path]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading ${path}`, r.code, r.stderr);
    return parseFileState(r.stdout, path);
  });
}

/** A file too large for what was asked of it (an edit reads the whole file): its host fails, naming it. */
export class FileTooLarge extends Error {
  constructor(readonly path: string, readonly size: number, what: string) {
    super(`${path} is ${sizeText(size)}, too large for ${what}: st2prov reads a file whole to edit or read it, up to ${limitText(FILE_CONTENT_LIMIT)}; make it smaller (a config file is a few KB)`);
    this.name = 'FileTooLarge';
  }
}

/**
 * A file with its text, for an operation that edits or reads it: a file a read of many files
 * took by digest (the read's budget was spent) is read again, alone; a file larger than
 * FILE_CONTENT_LIMIT is an error that names it.
 */
export async function fileText(host: HostContext, path: string, state: PresentFile, what = 'an edit'): Promise<TextFile> {
  if (state.content !== undefined) return state as TextFile;
  if (state.size <= FILE_CONTENT_LIMIT) {
    const again = await host.fact(fileStateAlone(path));
    if (again.exists && again.content !== undefined) return again as TextFile;
    if (again.exists) throw new FileTooLarge(path, again.size, what);
  }
  throw new FileTooLarge(path, state.size, what);
}

type Read = FileState | ExecResult;

function filesRead(paths: readonly string[]): Fact<Read[]> {
  const frame = nonce();
  return fact(`file:${paths.join('\n')}`, shellScript(READ_FILES, [frame, String(FILE_CONTENT_LIMIT), String(FILES_READ_BUDGET), ...paths]), (r) => {
    const what = `reading ${paths.join(', ')}`;
    if (r.code !== 0) throw new RemoteCommandError(what, r.code, r.stderr);
    const results = filesPrinted(r.stdout, frame, paths);
    if (typeof results === 'string') throw new RemoteCommandError(what, null, results);
    return results;
  });
}

/** What READ_FILE alone says of what is not a regular file, by the kind READ_FILES found. */
const NOT_READ: Record<string, Read> = {
  missing: { exists: false, parentExists: true },
  'missing-parent': { exists: false, parentExists: false },
  other: { code: 3, stdout: '', stderr: 'not a regular file\n' },
};

/** Each path's state (or failed read) out of READ_FILES' output; or why it cannot be read (output cut short). */
function filesPrinted(stdout: string, frame: string, paths: readonly string[]): Read[] | string {
  const cut = 'output cut short';
  const kindsMark = `@@${frame} kinds\n`;
  if (!stdout.startsWith(kindsMark)) return cut;
  const kinds: string[] = [];
  let at = kindsMark.length;
  while (kinds.length < paths.length) {
    const nl = stdout.indexOf('\n', at);
    if (nl < 0) return cut;
    kinds.push(stdout.slice(at, nl));
    at = nl + 1;
  }
  if (kinds.some((k) => k !== 'file' && !(k in NOT_READ))) return cut;
  const rest = stdout.slice(at);
  const regular = paths.filter((_p, i) => kinds[i] === 'file');
  let read: Read[];
  if (regular.length === 0) {
    if (rest !== '') return cut;
    read = [];
  } else if (rest.startsWith(`@@${frame} together\n`)) {
    const together = readTogether(rest.slice(`@@${frame} together\n`.length), frame, regular.length);
    if (!together) return cut;
    read = together;
  } else if (rest.startsWith(`@@${frame} alone\n`)) {
    const alone = splitFramed(rest, frame, { ended: false });
    if (alone.length !== regular.length) return cut;
    try {
      read = alone.map((r, i) => (r.code === 0 ? parseFileState(r.stdout, regular[i]!) : r));
    } catch {
      return cut;
    }
  } else {
    return cut;
  }
  return kinds.map((k) => (k === 'file' ? read.shift()! : { ...NOT_READ[k]! }));
}

/** The regular files' states out of a read together: stat lines, one letter a file (w whole, h by digest), the digests, the whole ones' bytes in base64. */
function readTogether(text: string, frame: string, count: number): PresentFile[] | undefined {
  const readMark = `\n@@${frame} read `;
  const copyMark = `@@${frame} copy\n`;
  const statsEnd = text.indexOf(readMark);
  if (statsEnd < 0) return undefined;
  const stats = text.slice(0, statsEnd).split('\n');
  const lettersEnd = text.indexOf('\n', statsEnd + readMark.length);
  if (lettersEnd < 0) return undefined;
  const letters = text.slice(statsEnd + readMark.length, lettersEnd);
  const copyAt = text.indexOf(copyMark, lettersEnd + 1);
  if (copyAt < 0) return undefined;
  const digests = text.slice(lettersEnd + 1, copyAt).split('\n').filter(Boolean);
  const copy = Buffer.from(text.slice(copyAt + copyMark.length), 'base64');
  // each stat line: size inode mtime ctime, then mode owner group
  const files = stats.map((line) => line.split(' '));
  if (files.length !== count || letters.length !== count || !/^[wh]*$/.test(letters)) return undefined;
  if (digests.length !== [...letters].filter((l) => l === 'h').length || !digests.every((d) => DIGEST_LINE.test(d))) return undefined;
  const wholeSize = files.reduce((sum, f, i) => sum + (letters[i] === 'w' ? Number(f[0]) : 0), 0);
  if (wholeSize !== copy.length) return undefined;
  let from = 0;
  return files.map((f, i) => {
    const [mode, owner, group] = f.slice(4);
    const attributes = { mode: parseInt(mode!, 8), owner: owner!, group: group! };
    if (letters[i] === 'h') return { exists: true, ...attributes, size: Number(f[0]), sha256: digests.shift()!.slice(0, 64), content: undefined };
    return whole(attributes, copy.subarray(from, (from += Number(f[0]))));
  });
}

/** sha256sum's line for its stdin. */
const DIGEST_LINE = /^[0-9a-f]{64} {2}-$/;

function whole(attributes: { mode: number; owner: string; group: string }, bytes: Buffer): TextFile {
  return { exists: true, ...attributes, size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex'), content: bytes.toString() };
}

/** What READ_FILE printed, as a FileState. */
export function parseFileState(stdout: string, path = 'a file'): FileState {
  const nl = stdout.indexOf('\n');
  const head = nl < 0 ? stdout : stdout.slice(0, nl);
  if (head === 'missing') return { exists: false, parentExists: true };
  if (head === 'missing-parent') return { exists: false, parentExists: false };
  const m = /^([0-7]+) (\S+) (\S+) (\d+) (whole|sha256)$/.exec(head);
  if (!m || nl < 0) throw new RemoteCommandError(`reading ${path}`, null, 'output cut short');
  const attributes = { mode: parseInt(m[1]!, 8), owner: m[2]!, group: m[3]! };
  const body = stdout.slice(nl + 1);
  if (m[5] === 'whole') return whole(attributes, Buffer.from(body, 'base64'));
  const digest = body.replace(/\n$/, '');
  if (!DIGEST_LINE.test(digest)) throw new RemoteCommandError(`reading ${path}`, null, 'output cut short');
  return { exists: true, ...attributes, size: Number(m[4]), sha256: digest.slice(0, 64), content: undefined };
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
