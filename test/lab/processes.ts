import { readFileSync } from 'node:fs';

/*
 * Lab processes are stopped by recorded PID only. This machine's init reaps orphans late,
 * so a dead process may linger as a zombie: "alive" reads /proc/PID/stat, not kill -0.
 */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The start time of a process (clock ticks since boot), to tell a recorded PID from a reused one. */
export function startTimeOf(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
  } catch {
    return undefined;
  }
}

export function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** SIGKILL, then wait until the process is gone (PID 1 of a namespace ignores SIGTERM). */
export function killAndWait(pid: number, startTime: string | undefined, timeoutMs = 5000): boolean {
  if (startTime !== undefined && startTimeOf(pid) !== startTime) return true; // gone, PID reused
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return true;
  }
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  return !isAlive(pid);
}
