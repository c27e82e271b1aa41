import { UnreachableError } from '../errors.js';
import type { SshConnection } from '../ssh/connection.js';
import { shellScript } from '../ssh/quote.js';

const LOCK_FILE = '/run/lock/st2prov.lock';

/*
 * The lock is a flock held by a remote process that lives as long as its channel: released
 * when st2prov ends the channel, and by the kernel when the connection dies, so a killed run
 * never leaves a stale lock. Dry runs take it shared, applies exclusive.
 */
const SCRIPT = `umask 000
exec 9>>"$1" || exit 70
if ! flock -n "$2" 9; then
  echo waiting
  flock -w "$3" "$2" 9 || { echo busy; exit 75; }
fi
echo locked
exec cat >/dev/null`;

export interface HostLock {
  release(): void;
}

export async function lockHost(
  connection: SshConnection,
  exclusive: boolean,
  waitSeconds: number,
  onWait: () => void,
): Promise<HostLock> {
  const held = await connection.hold(
    { argv: shellScript(SCRIPT, [LOCK_FILE, exclusive ? '-x' : '-s', String(waitSeconds)]) },
    (line) => {
      if (line === 'waiting') onWait();
      return line === 'locked';
    },
  );
  if (!held.acquired) {
    const result = await held.done;
    const name = connection.settings.name;
    if (result.code === 75) {
      throw new UnreachableError(name, `another st2prov run holds ${LOCK_FILE} on this host and did not finish within ${waitSeconds}s`, 'wait for it to end, or raise --lock-wait');
    }
    throw new UnreachableError(name, `cannot take the host lock ${LOCK_FILE}: ${result.stderr.trim() || `exit ${result.code}`}`);
  }
  return { release: held.release };
}
