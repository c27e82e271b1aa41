import { randomBytes } from 'node:crypto';
import { shellScript } from '../core/command.js';
import { UnreachableError } from '../core/errors.js';
import type { Transport } from './engineHost.js';

const LOCK_FILE = '/run/lock/st2prov.lock';

/*
 * The lock is a flock held by a remote process that lives as long as its channel: released
 * when st2prov ends the channel, and by the kernel when the connection dies, so a killed run
 * never leaves a stale lock. Dry runs take it shared, applies exclusive. The holder writes
 * its run id beside the lock, so two inventory names for one machine in the same run do not
 * wait for each other.
 */
const SCRIPT = `umask 000
exec 9>>"$1" || exit 70
tries=0
while ! flock -n "$2" 9; do
  if [ "$(cat "$1.owner" 2>/dev/null)" = "$4" ]; then echo locked; exec cat >/dev/null; fi
  [ $tries = 0 ] && echo waiting
  tries=$((tries + 1))
  [ $tries -gt $(($3 * 5)) ] && { echo busy; exit 75; }
  sleep 0.2
done
echo "$4" >"$1.owner"
echo locked
exec cat >/dev/null`;

/** One id per st2prov process: its sessions share the lock on a machine named twice. */
const RUN_ID = randomBytes(12).toString('hex');

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
    { argv: shellScript(SCRIPT, [LOCK_FILE, kind === 'exclusive' ? '-x' : '-s', String(waitSeconds), RUN_ID]) },
    (line) => {
      if (line === 'waiting') onWait();
      return line === 'locked';
    },
  );
  if (!held.acquired) {
    const result = await held.done;
    const name = connection.name;
    if (result.code === 75) {
      throw new UnreachableError(name, `another st2prov run holds ${LOCK_FILE} on this host and did not finish within ${waitSeconds}s`, 'wait for it to end, or raise --lock-wait');
    }
    throw new UnreachableError(name, `cannot take the host lock ${LOCK_FILE}: ${result.stderr.trim() || `exit ${result.code}`}`);
  }
  return { release: held.release };
}
