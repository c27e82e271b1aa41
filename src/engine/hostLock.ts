import { shellScript } from '../core/command.js';
import { UnreachableError } from '../core/errors.js';
import { RUN_ID } from '../core/runId.js';
import type { Transport } from './engineHost.js';

/** Where the lock lives: root's own folder under /run (a private folder of the user's without become). */
export const LOCK_FOLDER = '/run/st2prov';

/*
 * The lock is a flock held by a remote process that lives as long as its channel: released
 * when st2prov ends the channel, and by the kernel when the connection dies, so a killed run
 * never leaves a stale lock. Dry runs take it shared, applies exclusive. The holder writes
 * its run id beside the lock, so two inventory names for one machine in the same run do not
 * wait for each other.
 *
 * The lock and its owner file are in a folder only the running user can write (root's
 * /run/st2prov, 0700): in a world-writable place, another local user could hold the lock to
 * let two applies in at once, or plant a link where root writes the owner file. A folder
 * that is not the user's own is refused, never used.
 */
const SCRIPT = `set -u
command -v flock >/dev/null 2>&1 || exit 69
u=$(id -u)
if [ "$u" = 0 ]; then d=$1; else d="\${XDG_RUNTIME_DIR:-/tmp}/st2prov-$u"; fi
umask 077
[ -d "$d" ] || mkdir -p "$d" 2>/dev/null
if [ -L "$d" ] || [ ! -d "$d" ] || [ ! -O "$d" ]; then echo "$d" >&2; exit 77; fi
chmod 0700 "$d" || exit 77
exec 9>>"$d/lock" || exit 70
tries=0
while ! flock -n "$2" 9; do
  if [ "$(cat "$d/owner" 2>/dev/null)" = "$4" ]; then echo locked; exec cat >/dev/null; fi
  [ $tries = 0 ] && echo waiting
  tries=$((tries + 1))
  [ $tries -gt $(($3 * 5)) ] && { echo busy; exit 75; }
  sleep 0.2
done
echo "$4" >"$d/owner"
echo locked
exec cat >/dev/null`;

export interface HostLock {
  release(): void;
}

/** Applies take the lock exclusive, dry runs shared; checks take none. */
export type LockKind = 'exclusive' | 'shared' | 'none';

export async function lockHost(
  connection: Transport,
  kind: Exclude<LockKind, 'none'>,
  waitSeconds: number,
  onWait: () => void,
): Promise<HostLock> {
  const held = await connection.hold(
    { argv: shellScript(SCRIPT, [LOCK_FOLDER, kind === 'exclusive' ? '-x' : '-s', String(waitSeconds), RUN_ID]) },
    (line) => {
      if (line === 'waiting') onWait();
      return line === 'locked';
    },
  );
  if (!held.acquired) {
    const result = await held.done;
    const name = connection.name;
    if (result.code === 75) {
      throw new UnreachableError(name, `another st2prov run holds the host lock (${LOCK_FOLDER}/lock) and did not finish within ${waitSeconds}s`, 'wait for it to end, or raise --lock-wait');
    }
    if (result.code === 69) throw new UnreachableError(name, 'flock is not installed on this host: st2prov needs it to keep two runs apart', 'install util-linux (it provides flock)');
    if (result.code === 77) throw new UnreachableError(name, `the lock folder ${result.stderr.trim()} is not a private folder of the user st2prov runs as (a link, or someone else's)`, 'remove it; st2prov makes its own');
    throw new UnreachableError(name, `cannot take the host lock: ${result.stderr.trim() || `exit ${result.code}`}`);
  }
  return { release: held.release };
}
