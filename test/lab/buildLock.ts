import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { labDir } from './config.js';
import { log } from './sh.js';

const WAIT_MS = 30 * 60_000;
const pause = new Int32Array(new SharedArrayBuffer(4));

/** Whether a process with this PID runs (ours or another user's). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * `build` while holding the lab folder's build lock: labs in several slots share the base root
 * and the repository, and two of them building one at once would clobber each other's files.
 * The lock is a file made exclusively, holding its maker's PID; one whose maker is gone (a
 * killed run) is taken over.
 */
export function withBuildLock<T>(build: () => T): T {
  mkdirSync(labDir, { recursive: true });
  const lock = join(labDir, '.build.lock');
  const t0 = Date.now();
  let said = false;
  for (;;) {
    try {
      const fd = openSync(lock, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = Number(readFileSync(lock, 'utf8').trim() || 'NaN');
      if (!Number.isInteger(holder) || !alive(holder)) {
        rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() - t0 > WAIT_MS) throw new Error(`the lab's base root or repository is still being built by PID ${holder} after ${WAIT_MS / 60_000} minutes (${lock})`);
      if (!said) log(`waiting for PID ${holder}, which builds the lab's base root or repository`);
      said = true;
      Atomics.wait(pause, 0, 0, 1000);
    }
  }
  try {
    return build();
  } finally {
    rmSync(lock, { force: true });
  }
}
