import type { Duplex } from 'node:stream';

/** The most of one answer a probe reads: a server that sends more is not the server asked for. */
export const ANSWER_LIMIT = 1024 * 1024;

/**
 * Listens to a probe's answer: each chunk to `onChunk`, while the answer stays within
 * ANSWER_LIMIT. An answer that grows past it, or garbage that makes `onChunk` throw, ends
 * the probe through `fail` (the connection closed): never memory without bound, never an
 * exception thrown out of an event handler, which would end the whole run.
 */
export function onAnswer(stream: Duplex, what: string, onChunk: (chunk: Buffer) => void, fail: (err: Error) => void): void {
  let size = 0;
  const listener = (chunk: Buffer) => {
    size += chunk.length;
    try {
      if (size > ANSWER_LIMIT) throw new Error(`${what} answered more than ${ANSWER_LIMIT / 1024} KiB: not the server expected there`);
      onChunk(chunk);
    } catch (err) {
      stream.off('data', listener);
      stream.destroy();
      fail(err instanceof Error ? err : new Error(String(err)));
    }
  };
  stream.on('data', listener);
}
