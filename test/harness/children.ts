import type { ChildProcess } from 'node:child_process';

const running = new Set<ChildProcess>();

/** Keeps `child` (an st2prov run the tests started) to be stopped if the test process goes first. */
export function tracked<T extends ChildProcess>(child: T): T {
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

/** SIGKILLs every tracked run still going: a test stopped by a signal leaves no st2prov working on a lab being torn down. */
export function stopTracked(): void {
  for (const child of running) child.kill('SIGKILL');
  running.clear();
}

process.once('exit', stopTracked);
