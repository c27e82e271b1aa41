import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { failures, st2prov, testPlaybook } from '../harness/cli.js';
import { useSshd } from '../harness/sshd.js';
import { workspace } from '../harness/workspace.js';

const LARGE = testPlaybook('largeFiles');
const SIZE = 3 * 1024 * 1024;
const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
const temps = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('.st2prov.'));

describe('data larger than st2prov holds: compared by digest, streamed, cut with a note', () => {
  const sshd = useSshd();

  it('a file larger than FILE_CONTENT_LIMIT is compared by digest: unchanged is no change; changed, the diff says its size and sha256, never its content', async () => {
    const ws = workspace(sshd(), { vars: { large_size: String(SIZE), large_char: 'a' } });
    const live = join(ws.target, 'large.data');
    const wanted = 'a'.repeat(SIZE);
    writeFileSync(live, wanted, { mode: 0o644 });
    const same = await st2prov(['diff', ws.inventory, '--playbook', LARGE, '--tags', 'large', '--json']);
    assert.equal(same.code, 0, failures(same));
    assert.deepEqual(same.json.hosts[0]!.steps.flatMap((s) => s.changes), [], 'the same digest: no change');

    const edited = `${'a'.repeat(SIZE - 1)}b`;
    writeFileSync(live, edited);
    const diff = await st2prov(['diff', ws.inventory, '--playbook', LARGE, '--tags', 'large', '--json']);
    assert.equal(diff.code, 0, failures(diff));
    const changes = diff.json.hosts[0]!.steps.flatMap((s) => s.changes);
    assert.deepEqual(changes.map((c) => c.summary), [`update ${live}`]);
    assert.equal(changes[0]!.diff, `--- a${live}\n+++ b${live}\n(not shown, more than 1 MiB: 3.1 MB (3145728 bytes), sha256 ${sha256(edited)} → 3.1 MB (3145728 bytes), sha256 ${sha256(wanted)})\n`);
    assert.doesNotMatch(diff.stdout + diff.stderr, /aaaa/, 'no byte of the content shown');

    const apply = await st2prov(['apply', ws.inventory, '--playbook', LARGE, '--tags', 'large']);
    assert.equal(apply.code, 0, apply.stderr);
    assert.ok(readFileSync(live).equals(Buffer.from(wanted)), 'written whole');
    const after = await st2prov(['diff', ws.inventory, '--playbook', LARGE, '--tags', 'large', '--exit-code']);
    assert.equal(after.code, 0, after.stdout);
  });

  it('a secret file, large or not, never shows a digest: its diff says only that it changed', async () => {
    for (const size of [SIZE, 64]) {
      const ws = workspace(sshd(), { vars: { large_size: String(size), large_char: 's' } });
      writeFileSync(join(ws.target, 'large.secret'), 'the old secret\n', { mode: 0o600 });
      const diff = await st2prov(['diff', ws.inventory, '--playbook', LARGE, '--tags', 'secret', '--json']);
      assert.equal(diff.code, 0, failures(diff));
      const [c] = diff.json.hosts[0]!.steps.flatMap((s) => s.changes);
      assert.equal(c!.diff, `--- a${join(ws.target, 'large.secret')}\n+++ b${join(ws.target, 'large.secret')}\n(content hidden: sensitive)\n`);
      for (const told of ['sha256', sha256('s'.repeat(size)), sha256('the old secret\n'), 'ssss']) assert.ok(!(diff.stdout + diff.stderr).includes(told), `${told} is not shown (${size} bytes)`);
    }
  });

  it('a local file copied is streamed as planned: one that changes between the plan and the send fails that host, and the live file stays whole', async () => {
    const ws = workspace(sshd(), { logins: ['root', 'sudo-nopasswd', 'sudo-password'], vars: { copy_source: '', change_after_plan: 'yes' } });
    const source = join(ws.dir, 'source.data');
    const content = randomBytes(5 * 1024 * 1024);
    writeFileSync(source, content);
    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace('copy_source=""', `copy_source=${JSON.stringify(source)}`));
    const live = join(ws.target, 'copied.data');
    writeFileSync(live, 'the old file\n');
    const run = await st2prov(['apply', ws.inventory, '--playbook', LARGE, '--tags', 'copy', '--forks', '1', '--json']);
    assert.equal(run.code, 2, failures(run));
    for (const h of run.json.hosts) {
      assert.equal(h.failed, 1, h.host);
      assert.match(h.reason!, new RegExp(`copy: ${source} changed on the control machine while it was sent \\(the plan hashed \\d+ bytes, sha256 [0-9a-f]{64}; [^)]+\\): nothing on the host was replaced`), h.host);
    }
    assert.doesNotMatch(run.stderr, /internal error|\n\s+at /);
    assert.equal(readFileSync(live, 'utf8'), 'the old file\n', 'the live file is the old one, whole');

    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace('change_after_plan="yes"', 'change_after_plan="no"'));
    const again = await st2prov(['apply', ws.inventory, '--playbook', LARGE, '--tags', 'copy', '--json']);
    assert.equal(again.code, 0, failures(again));
    assert.equal(sha256(readFileSync(live)), sha256(readFileSync(source)), 'the file as it is now, whole');
    assert.deepEqual(temps(ws.target), [], 'no temp file left');
  });

  it('a packs sync whose local file changes between the plan and the send fails that host: nothing in the folder changed, no staging left', async () => {
    const ws = workspace(sshd(), { vars: { packs_src: '', change_after_plan: 'no', changed_pack_file: 'big_pack/big.bin' } });
    const packs = join(ws.dir, 'packs');
    mkdirSync(join(packs, 'big_pack/actions'), { recursive: true });
    writeFileSync(join(packs, 'big_pack/pack.yaml'), 'name: big_pack\n');
    writeFileSync(join(packs, 'big_pack/actions/run.sh'), '#!/bin/sh\necho one\n', { mode: 0o755 });
    writeFileSync(join(packs, 'big_pack/big.bin'), randomBytes(20 * 1024 * 1024));
    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace('packs_src=""', `packs_src=${JSON.stringify(packs)}`));
    const first = await st2prov(['apply', ws.inventory, '--playbook', LARGE, '--tags', 'packs', '--json']);
    assert.equal(first.code, 0, failures(first));
    const dest = join(ws.target, 'packs');
    const synced = () => Object.fromEntries(['big_pack/pack.yaml', 'big_pack/actions/run.sh', 'big_pack/big.bin'].map((f) => [f, sha256(readFileSync(join(dest, f)))]));
    const before = synced();
    assert.equal(before['big_pack/big.bin'], sha256(readFileSync(join(packs, 'big_pack/big.bin'))));

    writeFileSync(join(packs, 'big_pack/big.bin'), randomBytes(20 * 1024 * 1024));
    writeFileSync(join(packs, 'big_pack/actions/run.sh'), '#!/bin/sh\necho two\n', { mode: 0o755 });
    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace('change_after_plan="no"', 'change_after_plan="yes"'));
    const cut = await st2prov(['apply', ws.inventory, '--playbook', LARGE, '--tags', 'packs', '--json']);
    assert.equal(cut.code, 2, failures(cut));
    assert.match(cut.json.hosts[0]!.reason!, new RegExp(`^packs: ${join(packs, 'big_pack/big.bin')} changed on the control machine while it was sent \\(the plan hashed 20971520 bytes, sha256 [0-9a-f]{64}\\): nothing on the host was replaced`));
    assert.deepEqual(synced(), before, 'no file of the folder changed, not even the one that did not change locally');
    assert.deepEqual(readdirSync(dest).filter((f) => f.startsWith('.st2prov-sync.')), [], 'no staging left');

    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace('change_after_plan="yes"', 'change_after_plan="no"'));
    const again = await st2prov(['apply', ws.inventory, '--playbook', LARGE, '--tags', 'packs', '--json']);
    assert.equal(again.code, 0, failures(again));
    assert.equal(sha256(readFileSync(join(dest, 'big_pack/big.bin'))), sha256(readFileSync(join(packs, 'big_pack/big.bin'))));
    assert.equal(readFileSync(join(dest, 'big_pack/actions/run.sh'), 'utf8'), '#!/bin/sh\necho two\n');
    const diff = await st2prov(['diff', ws.inventory, '--playbook', LARGE, '--tags', 'packs', '--exit-code']);
    assert.equal(diff.code, 0, diff.stdout);
  });

  it('a command printing more than OUTPUT_LIMIT fails its host with the reason (exit 2, not a crash); the other host finishes', async () => {
    const ws = workspace(sshd(), { logins: ['root', 'sudo-nopasswd'], vars: { loud_here: 'root' } });
    const run = await st2prov(['apply', ws.inventory, '--playbook', LARGE, '--tags', 'loud', '--json']);
    assert.equal(run.code, 2, failures(run));
    const loud = run.json.hosts.find((h) => h.host === 'root')!;
    assert.equal(loud.failed, 1);
    assert.equal(loud.reason, 'loud command: print more than OUTPUT_LIMIT failed (exit signal): it printed more than 64 MiB on stdout, the most st2prov reads of one command; it was stopped');
    assert.equal(run.json.hosts.find((h) => h.host === 'sudo-nopasswd')!.failed, 0);
    assert.equal(readFileSync(join(ws.target, 'sudo-nopasswd.after'), 'utf8'), 'ran\n');
    assert.doesNotMatch(run.stderr, /internal error|\n\s+at /);
  });
});
