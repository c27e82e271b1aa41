import type { HostContext } from '../core/context.js';
import { shellScript } from '../core/command.js';

/*
 * Atomic replacement: the content goes to a temp file in the same folder (mktemp makes it
 * 0600, so a secret is never readable by others, even for an instant), gets its final mode
 * and owner, passes the validator if any, and only then is renamed over the live file.
 * A failed validation leaves the live file untouched.
 */
const WRITE = `set -e
p=$1; m=$2; o=$3; shift 3
t=$(mktemp "$(dirname "$p")/.st2prov.XXXXXX")
trap 'rm -f "$t"' EXIT
cat >"$t"
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

export async function writeFileAtomically(host: HostContext, path: string, content: string | Buffer, options: WriteOptions = {}): Promise<void> {
  await host.run(`writing ${path}`, {
    argv: shellScript(WRITE, [path, options.mode ?? '', options.owner ?? '', ...(options.validate ?? [])]),
    stdin: content,
  });
}

export async function setAttributes(host: HostContext, path: string, options: WriteOptions): Promise<void> {
  const script = `[ -z "$2" ] || chmod "$2" "$1"; [ -z "$3" ] || chown "$3" "$1"`;
  await host.run(`setting mode/owner of ${path}`, { argv: shellScript(script, [path, options.mode ?? '', options.owner ?? '']) });
}
