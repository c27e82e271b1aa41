import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { NotReadWhole, readAtMost } from '../../../src/core/boundedRead.js';
import { st2prov } from '../../harness/cli.js';
import { tempDir } from '../../harness/tempDir.js';

describe('a file of the control machine read whole, within a bound', () => {
  const dir = tempDir('bounded');

  it('reads a file up to the limit, exactly', () => {
    writeFileSync(join(dir, 'ten'), '0123456789');
    assert.equal(readAtMost(join(dir, 'ten'), 10).toString(), '0123456789');
    writeFileSync(join(dir, 'empty'), '');
    assert.equal(readAtMost(join(dir, 'empty'), 10).length, 0);
  });

  it('refuses a file larger than the limit, naming it and its size', () => {
    writeFileSync(join(dir, 'eleven'), '0123456789a');
    assert.throws(() => readAtMost(join(dir, 'eleven'), 10), (err: unknown) => err instanceof NotReadWhole && /eleven is 11 bytes, more than the 10 bytes st2prov reads of it/.test(err.message));
  });

  it('refuses a device and a pipe before reading a byte, without waiting for a writer', () => {
    assert.throws(() => readAtMost('/dev/zero', 1024), /\/dev\/zero is not a regular file/);
    const fifo = join(dir, 'fifo');
    execFileSync('mkfifo', [fifo]);
    assert.throws(() => readAtMost(fifo, 1024), /fifo is not a regular file/);
  });

  it('a private key or a known_hosts that is /dev/zero, a state file that is a pipe: each said, the run neither reads on forever nor waits for a writer', async () => {
    const inventory = join(dir, 'inventory.ini');
    writeFileSync(inventory, `[controller]\nc ansible_host=127.0.0.1 ansible_port=1 ansible_ssh_private_key_file=/dev/zero\n[blueprint]\nb ansible_host=127.0.0.1 ansible_port=1 ansible_ssh_private_key_file=/dev/zero\n`);
    const key = await st2prov(['diff', inventory, '--retries', '0', '--json']);
    assert.equal(key.code, 4, key.stderr);
    assert.match(key.json.hosts[0]!.reason!, /cannot use the private key \/dev\/zero is not a regular file/);
    const known = await st2prov(['diff', inventory, '--known-hosts', '/dev/zero']);
    assert.equal(known.code, 1, known.stderr);
    assert.match(known.stderr, /cannot read known_hosts \/dev\/zero is not a regular file/);
    mkdirSync(join(dir, 'inventory.st2prov'), { mode: 0o700 });
    execFileSync('mkfifo', ['-m', '600', join(dir, 'inventory.st2prov', 'secrets.json')]);
    const state = await st2prov(['diff', inventory]);
    assert.equal(state.code, 1, state.stderr);
    assert.match(state.stderr, /state folder: .*secrets\.json is not a regular file/);
  });
});
