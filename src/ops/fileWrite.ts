import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { HostContext } from '../core/context.js';
import { shellScript } from '../core/command.js';
import { RUN_ID } from '../core/runId.js';
import { sendLocalFile } from '../facts/localFiles.js';

/**
 * Shell function `receive_whole TEMP SIZE SHA256 UNTOUCHED`: stdin into TEMP, and exit 75
 * (saying UNTOUCHED was left as it was) unless exactly SIZE bytes of that SHA-256 came: what a
 * cut transfer, a killed st2prov or a dropped connection leaves is never used.
 */
export const RECEIVE_WHOLE = `receive_whole() {
  cat >"$1"
  got=$(wc -c <"$1")
  if [ "$got" -ne "$2" ] || [ "$(sha256sum <"$1" | cut -d' ' -f1)" != "$3" ]; then
    echo "received $got of $2 bytes, or not the bytes sent: the transfer was cut; $4 left as it was" >&2
    exit 75
  fi
}`;

/*
 * All-or-nothing replacement. The content goes to a temp file in the same folder (mktemp
 * makes it 0600, so a secret is never readable by others, even for an instant); it goes
 * live only once exactly the announced bytes arrived (length and SHA-256: a cut transfer, a
 * killed st2prov or a dropped connection leaves the live file as it was), it has its final
 * mode and owner, and it passed the validator if any. Then one rename. Temp files carry the
 * run's id; those of another run in the folder are what a killed run left (the host lock
 * lets one run write at a time) and are swept first. A symbolic link is written through:
 * the file it names is replaced, the link stays. The announced size and SHA-256 come first on
 * stdin, not on the command line: any user of the host sees a command line (ps), and the
 * digest of a short secret is as good as the secret to a dictionary. (sh reads that one line
 * byte by byte from a pipe, so cat gets the content from its first byte.)
 */
const WRITE = `set -e
${RECEIVE_WHOLE}
p=$1; m=$2; o=$3; run=$4; shift 4
IFS=' ' read -r size sum
if [ -L "$p" ]; then p=$(readlink -f -- "$p"); fi
d=$(dirname -- "$p")
for f in "$d"/.st2prov.*; do case "$f" in *".st2prov.$run."*) ;; *) if [ -f "$f" ]; then rm -f -- "$f"; fi ;; esac; done
t=$(mktemp "$d/.st2prov.$run.XXXXXX")
trap 'rm -f "$t"' EXIT
trap 'exit 1' HUP INT TERM PIPE
receive_whole "$t" "$size" "$sum" "$p"
if [ -n "$m" ]; then chmod "$m" "$t"; elif [ -e "$p" ]; then chmod --reference="$p" "$t"; else chmod 0644 "$t"; fi
if [ -n "$o" ]; then chown "$o" "$t"; elif [ -e "$p" ]; then chown --reference="$p" "$t"; fi
if [ $# -gt 0 ]; then
  n=$#
  while [ $n -gt 0 ]; do a=$1; shift; [ "$a" = "%s" ] && a=$t; set -- "$@" "$a"; n=$((n-1)); done
  if ! "$@" >&2; then echo "validation failed; $p left as it was" >&2; exit 65; fi
fi
mv -f "$t" "$p"
trap - EXIT`;


export interface WriteOptions {
  /** octal text like "0640"; default: keep the existing file's, else 0644 */
  mode?: string;
  /** "user" or "user:group"; default: keep the existing file's */
  owner?: string;
  /** validator argv; "%s" stands for the temp file */
  validate?: readonly string[];
}

/** What the receiving side checks before anything goes live, the line before the bytes: their length and SHA-256. */
function announce(size: number, sha256: string): string {
  return `${size} ${sha256}\n`;
}

export async function writeFileAtomically(host: HostContext, path: string, content: string | Buffer, options: WriteOptions = {}): Promise<void> {
  const bytes = Buffer.from(content);
  await host.run(`writing ${path}`, {
    argv: shellScript(WRITE, [path, options.mode ?? '', options.owner ?? '', RUN_ID, ...(options.validate ?? [])]),
    stdin: Buffer.concat([Buffer.from(announce(bytes.length, createHash('sha256').update(bytes).digest('hex'))), bytes]),
  });
}

/**
 * A file of the control machine written to the host as it was planned, streamed (any size, in
 * bounded memory): the size and SHA-256 announced are the plan's, so bytes that changed since
 * never go live, and the stream says which file changed.
 */
export async function writeLocalFileAtomically(host: HostContext, path: string, local: { path: string; size: number; sha256: string }, options: WriteOptions = {}): Promise<void> {
  const stdin = sendLocalFile(local);
  async function* announced(): AsyncGenerator<Buffer> {
    yield Buffer.from(announce(local.size, local.sha256));
    yield* stdin;
  }
  try {
    await host.run(`writing ${path}`, {
      argv: shellScript(WRITE, [path, options.mode ?? '', options.owner ?? '', RUN_ID, ...(options.validate ?? [])]),
      stdin: Readable.from(announced(), { objectMode: false }),
    });
  } catch (err) {
    throw stdin.changed ?? err;
  } finally {
    stdin.destroy();
  }
}

export async function setAttributes(host: HostContext, path: string, options: WriteOptions): Promise<void> {
  const script = `[ -z "$2" ] || chmod "$2" "$1"; [ -z "$3" ] || chown "$3" "$1"`;
  await host.run(`setting mode/owner of ${path}`, { argv: shellScript(script, [path, options.mode ?? '', options.owner ?? '']) });
}
