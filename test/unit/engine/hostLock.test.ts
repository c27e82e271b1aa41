import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chownSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ExecResult } from '../../../src/core/command.js';
import type { Transport } from '../../../src/engine/engineHost.js';
import { LOCK_FOLDER, lockHost } from '../../../src/engine/hostLock.js';

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

  /** This machine as the host, its lock folder at `folder` instead of LOCK_FOLDER. */
  const here = (folder: string): Transport => ({
    name: 'here', connect: async () => undefined, close: () => undefined,
    exec: async () => { throw new Error('no'); },
    withTcp: async () => { throw new Error('no'); },
    hold: (request, ready) => new Promise((resolve) => {
      const [cmd, ...args] = request.argv.map((a) => (a === LOCK_FOLDER ? folder : a));
      const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      let acquired = false;
      const done = new Promise<ExecResult>((end) => child.on('close', (code) => end({ code, stdout, stderr })));
      child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
      child.stdout.on('data', (c: Buffer) => {
        stdout += c.toString();
        if (!acquired && stdout.split('\n').some(ready)) {
          acquired = true;
          resolve({ acquired, release: () => child.stdin.end(), done });
        }
      });
      void done.then(() => acquired || resolve({ acquired, release: () => undefined, done }));
    }),
  });
  const root = mkdtempSync(join(tmpdir(), 'st2prov-lock-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('is taken in a private folder it makes, and refused in one that is a link or someone else\'s (run as root, as CI does)', async () => {
    /** 'taken' (and let go at once), or why not */
    const take = async (folder: string) => {
      try {
        (await lockHost(here(folder), 'exclusive', 1, () => undefined)).release();
        return 'taken';
      } catch (err) {
        return (err as Error).message;
      }
    };
    const made = join(root, 'made');
    assert.equal(await take(made), 'taken');
    assert.equal(statSync(made).mode & 0o777, 0o700);
    const theirs = join(root, 'theirs');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    assert.match(await take(theirs), /lock folder .*theirs is not a private folder/);
    const link = join(root, 'link');
    symlinkSync(made, link);
    assert.match(await take(link), /lock folder .*link is not a private folder/);
  });
});
