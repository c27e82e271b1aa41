import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { failures, st2prov } from '../harness/cli.js';
import { st2provMeasured } from '../harness/peakRss.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import { hostDir } from './hosts.js';

/**
 * Bounded memory whatever the size (issue 27): a cluster (1 controller + 1 blueprint) whose
 * packs_dir holds a 2 GiB file. The first apply is killed with SIGKILL once the file's bytes
 * flow into the blueprint's staging folder; the next apply converges (the file whole on the
 * blueprint, no staging left) and a diff after it shows nothing. st2prov's peak resident
 * memory (VmHWM of its process, read every 20 ms and once more just before the kill) stays
 * under 200 MB in both applies; the measures are printed.
 */
const SIZE = 2 * 1024 ** 3;
/** the bound: 200 MB */
const RSS_LIMIT = 200 * 1000 ** 2;
/** bytes of the pack file in the blueprint's staging folder before the kill: the transfer is well under way */
const KILL_AFTER = 256 * 1024 ** 2;
const PACK = 'big_pack';
const BIG = 'big.bin';

describe('a 2 GiB pack file: synced in bounded memory, killed mid-transfer, then converged (1 controller + 1 blueprint)', () => {
  const lab = useLab(1);
  const blueprint = () => lab().hosts.find((h) => h.role === 'blueprint')!;
  const packs = () => join(dirname(lab().inventory), 'packs');
  let sha = '';
  after(() => rmSync(packs(), { recursive: true, force: true }));

  /** The pack file's bytes in a staging folder of the blueprint, read from its overlay's upper layer on this machine. */
  const staged = (): number => {
    const dest = join(hostDir(blueprint().name), 'upper', 'opt/stackstorm/packs');
    try {
      return Math.max(0, ...readdirSync(dest).filter((f) => f.startsWith('.st2prov-sync.')).map((f) => {
        try {
          return statSync(join(dest, f, 'files', PACK, BIG)).size;
        } catch {
          return 0;
        }
      }));
    } catch {
      return 0;
    }
  };

  it('the first apply is killed once the file flows into the blueprint\'s staging folder; it stayed under 200 MB and nothing went live', async (t) => {
    // sparse: 2 GiB without writing them here, random bytes at both ends so the digest is this file's
    mkdirSync(join(packs(), PACK), { recursive: true });
    writeFileSync(join(packs(), PACK, 'pack.yaml'), `name: ${PACK}\nversion: 1.0.0\n`);
    const path = join(packs(), PACK, BIG);
    writeFileSync(path, randomBytes(1024 * 1024));
    const fd = openSync(path, 'r+');
    writeSync(fd, randomBytes(1024 * 1024), 0, 1024 * 1024, SIZE - 1024 * 1024);
    closeSync(fd);
    assert.equal(statSync(path).size, SIZE);
    const hash = createHash('sha256');
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
    sha = hash.digest('hex');

    let seen = 0;
    const run = await st2provMeasured(['apply', lab().inventory], { killWhen: () => (seen = staged()) >= KILL_AFTER });
    t.diagnostic(`killed apply: peak RSS ${(run.peakRssBytes / 1000 ** 2).toFixed(1)} MB, ${run.seconds.toFixed(0)} s, ${(seen / 1024 ** 2).toFixed(0)} MiB of the file staged at the kill`);
    assert.equal(run.signal, 'SIGKILL', `the transfer was reached before the run ended:\n${run.stdout}${run.stderr}`);
    assert.ok(run.samples > 0 && run.peakRssBytes > 0, 'its memory was read');
    assert.ok(run.peakRssBytes < RSS_LIMIT, `peak RSS ${(run.peakRssBytes / 1000 ** 2).toFixed(1)} MB`);
    const live = ssh(lab(), blueprint().address, `test ! -e /opt/stackstorm/packs/${PACK}/${BIG} && echo absent`);
    assert.equal(live.stdout.trim(), 'absent', 'no part of the file went live');
  });

  it('the next apply converges: the file whole on the blueprint, no staging left; it stayed under 200 MB', async (t) => {
    const run = await st2provMeasured(['apply', lab().inventory, '--json']);
    t.diagnostic(`converging apply: peak RSS ${(run.peakRssBytes / 1000 ** 2).toFixed(1)} MB, ${run.seconds.toFixed(0)} s`);
    assert.equal(run.code, 0, run.code === 0 ? '' : failures(run));
    assert.ok(run.samples > 0 && run.peakRssBytes > 0, 'its memory was read');
    assert.ok(run.peakRssBytes < RSS_LIMIT, `peak RSS ${(run.peakRssBytes / 1000 ** 2).toFixed(1)} MB`);
    const r = ssh(lab(), blueprint().address, `sha256sum /opt/stackstorm/packs/${PACK}/${BIG} | cut -d' ' -f1; find /opt/stackstorm/packs -maxdepth 1 -name '.st2prov-sync.*'`);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${sha}\n`, 'the whole file, and no staging folder left');
  });

  it('a diff after it shows nothing', async (t) => {
    const t0 = Date.now();
    const diff = await st2prov(['diff', lab().inventory, '--exit-code']);
    t.diagnostic(`diff: ${((Date.now() - t0) / 1000).toFixed(0)} s`);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
  });
});
