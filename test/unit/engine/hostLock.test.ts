import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Transport } from '../../../src/engine/engineHost.js';
import { lockHost } from '../../../src/engine/hostLock.js';

describe('the host lock', () => {
  const transport = (code: number, stderr = ''): Transport => ({
    name: 'h1', connect: async () => undefined, close: () => undefined,
    exec: async () => ({ code, stdout: '', stderr }),
    withTcp: async () => { throw new Error('no'); },
    hold: async () => ({ acquired: false, release: () => undefined, done: Promise.resolve({ code, stdout: '', stderr }) }),
  });

  it('names a missing flock as the cause, and a lock folder that is not private', async () => {
    await assert.rejects(lockHost(transport(69), 'exclusive', 1, () => undefined), /flock is not installed on this host.*util-linux/);
    await assert.rejects(lockHost(transport(77, '/run/st2prov'), 'exclusive', 1, () => undefined), /lock folder \/run\/st2prov is not a private folder/);
    await assert.rejects(lockHost(transport(75), 'exclusive', 1, () => undefined), /another st2prov run holds the host lock/);
  });
});
