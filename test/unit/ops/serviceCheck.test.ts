import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { verifyListening } from '../../../src/ops/serviceCheck.js';

/** This machine as a host: its own TCP stack; its "journal" says what was asked of it. */
const host = {
  withTcp: localExecutor.withTcp,
  exec: async (request: { argv: readonly string[] }) => ({ code: 0, stdout: `journal of ${request.argv.join(' ')}\nbind: address in use\n`, stderr: '' }),
} as unknown as HostContext;

describe('after a start: the service answers where it listens', () => {
  it('passes once the port answers', async () => {
    const server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      await verifyListening(host, 'systemd', [{ name: 'st2api', listens: { address: '127.0.0.1', port } }], 2000);
    } finally {
      server.close();
    }
  });

  it('fails a service that runs but never answers, with its journal', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    server.close();
    await assert.rejects(verifyListening(host, 'systemd', [{ name: 'st2api', listens: { address: '127.0.0.1', port } }], 600), (err: Error) =>
      new RegExp(`st2api: runs but does not answer on 127\\.0\\.0\\.1:${port} within 0\\.6 s`).test(err.message) && /journalctl -u st2api/.test(err.message) && /bind: address in use/.test(err.message));
  });
});
