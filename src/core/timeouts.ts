/**
 * `work`, or what `late` says once `ms` pass; the timer is cleared either way, so a run
 * that is done never waits for it to fire (a pending timer keeps Node's event loop alive).
 */
export function within<T>(ms: number, work: Promise<T>, late: () => T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late()), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
