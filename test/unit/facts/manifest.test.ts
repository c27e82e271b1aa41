import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { ClusterHost, ClusterView, Vault } from '../../../src/core/context.js';
import { PlaybookError } from '../../../src/core/errors.js';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { EngineHost } from '../../../src/engine/engineHost.js';
import { ListingTooLarge, MANIFEST_LIMIT, localManifest, remoteManifest } from '../../../src/facts/manifest.js';

const host = { name: 'h', settings: {} } as unknown as ClusterHost;
const ctx = () => new EngineHost(host, localExecutor, {} as Vault, {} as ClusterView);

describe('a folder listed with its checksums, in bounds', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st2prov-manifest-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'pack/actions'), { recursive: true });
  writeFileSync(join(dir, 'pack/pack.yaml'), 'name: pack\n');
  writeFileSync(join(dir, 'pack/actions/run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  writeFileSync(join(dir, 'pack/big.bin'), '');
  truncateSync(join(dir, 'pack/big.bin'), 64 * 1024 * 1024 + 1);
  const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
  const zeros = sha256(Buffer.alloc(64 * 1024 * 1024 + 1));

  it('on the control machine and on a host alike, a file larger than any output by its digest', async () => {
    const local = await localManifest(dir);
    const remote = await ctx().fact(remoteManifest(dir));
    const expected = [['pack/actions/run.sh', sha256('#!/bin/sh\n'), true], ['pack/big.bin', zeros, false], ['pack/pack.yaml', sha256('name: pack\n'), false]];
    assert.deepEqual([...local].map(([p, f]) => [p, f.sha256, f.executable]).sort(), expected);
    assert.deepEqual([...remote!].map(([p, f]) => [p, f.sha256, f.executable]).sort(), expected);
    assert.equal(local.get('pack/big.bin')!.size, 64 * 1024 * 1024 + 1);
    assert.equal(local.get('pack/big.bin')!.bytes, undefined, 'its bytes are not kept');
  });

  it('a host folder whose listing passes the limit fails, naming the folder, instead of filling memory', async () => {
    for (let i = 0; i < 40; i++) writeFileSync(join(dir, 'pack', `file-${i}.yaml`), `${i}\n`);
    await assert.rejects(ctx().fact(remoteManifest(dir, 2000)), (err: Error) =>
      err instanceof ListingTooLarge && err.message === `${dir} holds more files than st2prov lists in one folder: its listing passes 2000 bytes; remove files from it, or from packs_dir`);
    assert.equal((await ctx().fact(remoteManifest(dir)))!.size, 43, 'within the limit, every file');
    assert.match(new ListingTooLarge('/opt/stackstorm/packs', MANIFEST_LIMIT, 160).message, /its listing passes 16 MiB \(about 105,000 files\)/);
  });

  it('a local folder with more files than a sync takes is refused, naming it', async () => {
    await assert.rejects(localManifest(dir, 10), (err: Error) => err instanceof PlaybookError && err.message.startsWith(`${dir} holds more than 10 files, more than st2prov syncs`));
  });
});
