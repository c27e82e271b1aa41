import { randomBytes } from 'node:crypto';
import type { ExecResult } from './command.js';
import { RemoteCommandError } from './errors.js';

/*
 * Several commands' results in one stdout. Each result opens with a line `@@NONCE` and closes
 * with `@@NONCE CODE STDERR-IN-BASE64` (a random nonce, so no output can forge a frame); the
 * whole ends with `@@NONCE-end` when the writer says so. The shell that writes them is each
 * reader's own (factBatch, the file families); this is the one way to read them back.
 */

/** 8 random bytes in hex, taken from a pool: one read of the system's random source for 64 of them (a plan makes hundreds). */
export function nonce(): string {
  if (pooled + 8 > pool.length) {
    pool = randomBytes(512);
    pooled = 0;
  }
  return pool.toString('hex', pooled, (pooled += 8));
}
let pool = Buffer.alloc(0);
let pooled = 0;

/** The results framed with this nonce, in order; throws when the end mark is asked for and missing. */
export function splitFramed(stdout: string, nonce: string, options: { ended: boolean }): ExecResult[] {
  let body = stdout;
  if (options.ended) {
    const end = stdout.lastIndexOf(`\n@@${nonce}-end\n`);
    if (end < 0) throw new RemoteCommandError('reading facts', null, 'probe output was cut short');
    body = stdout.slice(0, end);
  }
  const results: ExecResult[] = [];
  const open = `\n@@${nonce}\n`;
  const close = `\n@@${nonce} `;
  let at = body.indexOf(open);
  while (at >= 0) {
    const start = at + open.length;
    const closing = body.indexOf(close, start);
    if (closing < 0) throw new RemoteCommandError('reading facts', null, 'probe output was cut short');
    const next = body.indexOf(open, closing);
    const trailer = body.slice(closing + close.length, next < 0 ? body.length : next);
    const space = trailer.indexOf(' ');
    results.push({
      code: Number(trailer.slice(0, space)),
      stdout: body.slice(start, closing),
      stderr: Buffer.from(trailer.slice(space + 1), 'base64').toString(),
    });
    at = next;
  }
  return results;
}
