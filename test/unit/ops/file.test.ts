import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import type { Fact } from '../../../src/core/fact.js';
import { Secret } from '../../../src/core/secret.js';
import { FILE_CONTENT_LIMIT, FileTooLarge, type FileState, type PresentFile } from '../../../src/facts/files.js';
import { editFile, fileChanges, unifiedDiff } from '../../../src/ops/file.js';

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex');
const host = {} as HostContext;
const PATH = '/etc/app/data.bin';

/** A file as a read by digest gives it (larger than FILE_CONTENT_LIMIT): size and SHA-256, no text. */
const byDigest = (content: string): PresentFile => ({ exists: true, mode: 0o644, owner: 'root', group: 'root', size: Buffer.byteLength(content), sha256: sha256(content), content: undefined });
const whole = (content: string): PresentFile => ({ ...byDigest(content), content });

describe('a file compared by digest and shown within bounds', () => {
  const big = 'a'.repeat(FILE_CONTENT_LIMIT + 10);
  const other = `${big.slice(1)}b`;

  it('a file larger than FILE_CONTENT_LIMIT with the wanted digest is no change', () => {
    assert.deepEqual(fileChanges(host, { path: PATH, content: big, mode: '0644' }, byDigest(big), 'file'), []);
  });

  it('one with another digest is a change whose diff says sizes and digests, never the content', () => {
    const [c, ...more] = fileChanges(host, { path: PATH, content: other, mode: '0644' }, byDigest(big), 'file');
    assert.equal(more.length, 0);
    assert.equal(c!.summary, `update ${PATH}`);
    assert.equal(c!.diff, `--- a${PATH}\n+++ b${PATH}\n(not shown, more than 1 MiB: 1.0 MB (1048586 bytes), sha256 ${sha256(big)} → 1.0 MB (1048586 bytes), sha256 ${sha256(other)})\n`);
    const created = fileChanges(host, { path: PATH, content: other }, { exists: false, parentExists: true }, 'file')[0]!;
    assert.equal(created.diff, `--- /dev/null\n+++ b${PATH}\n(not shown, more than 1 MiB: new file, 1.0 MB (1048586 bytes), sha256 ${sha256(other)})\n`);
  });

  it('binary content is told by size and digest, never dumped into a diff', () => {
    const before = 'MZ\0\0\x01binary';
    const after = 'MZ\0\0\x02binary';
    const c = fileChanges(host, { path: PATH, content: after }, whole(before), 'file')[0]!;
    assert.equal(c.diff, `--- a${PATH}\n+++ b${PATH}\n(not shown, binary content: 11 bytes, sha256 ${sha256(before)} → 11 bytes, sha256 ${sha256(after)})\n`);
  });

  it('a secret says only that it changed: no digest of it, whatever its size', () => {
    for (const value of ['short secret', `${'s'.repeat(FILE_CONTENT_LIMIT)}!`]) {
      const c = fileChanges(host, { path: PATH, content: new Secret(value), mode: '0600' }, byDigest('old'), 'file')[0]!;
      assert.equal(c.diff, `--- a${PATH}\n+++ b${PATH}\n(content hidden: sensitive)\n`);
      assert.doesNotMatch(JSON.stringify(c), new RegExp(`sha256|${sha256(value)}`));
    }
  });

  it('large text that holds a secret is told by its size, without a digest to guess the secret from', () => {
    const password = new Secret('hunter2-but-longer');
    const text = `${'# padding\n'.repeat(FILE_CONTENT_LIMIT / 10)}password = ${password.reveal()}\n`;
    const c = fileChanges(host, { path: PATH, content: text }, byDigest(big), 'file')[0]!;
    assert.match(c.diff!, /^\(not shown, more than 1 MiB: 1\.0 MB \(1048586 bytes\) → 1\.0 MB \(\d+ bytes\)\)$/m);
    assert.doesNotMatch(c.diff!, /sha256/);
  });

  it('a small file of the host never read (the read spent its budget) is told without its digest: it may hold a password st2prov never knew', () => {
    const old = 'requirepass weak1\n';
    const c = fileChanges(host, { path: PATH, content: 'port 6379\n' }, byDigest(old), 'file')[0]!;
    assert.equal(c.diff, `--- a${PATH}\n+++ b${PATH}\n(not shown, read by digest with many other files: 18 bytes → 10 bytes, sha256 ${sha256('port 6379\n')})\n`);
    assert.doesNotMatch(JSON.stringify(c), new RegExp(sha256(old)));
  });

  it('an edit of a file larger than FILE_CONTENT_LIMIT fails its host, naming the file, and nothing is planned', async () => {
    const state: FileState = byDigest(big);
    const reader = { fact: async <T>(_f: Fact<T>) => state as T } as unknown as HostContext;
    const edit = editFile('conf', PATH, `port in ${PATH}`, (text) => `${text}port 1\n`);
    await assert.rejects(edit.plan(reader), (err: Error) => err instanceof FileTooLarge && err.message === `${PATH} is 1.0 MB, too large for editing port in ${PATH}: st2prov reads a file whole to edit or read it, up to 1 MiB; make it smaller (a config file is a few KB)`);
  });
});

describe('a file’s diff', () => {
  it('masks the credentials of every URL it shows, the old line’s too, whoever wrote them', () => {
    const before = '[coordination]\nurl = zookeeper://st2:old-zk-password@10.0.3.51:2181\n[messaging]\nurl = amqp://st2:amqp-pw@10.0.3.10:5672/\n';
    const after = '[coordination]\nurl = redis://10.0.3.50:26379?sentinel=st2&password=new-query-pw\n[messaging]\nurl = amqp://st2:amqp-pw@10.0.3.10:5672/\nrepo = https://ghp_T0KEN@git.example.com/x.git deploy = ssh://git@git.example.com/x.git\n';
    const diff = unifiedDiff('/etc/st2/st2.conf', before, after, false);
    for (const secret of ['old-zk-password', 'amqp-pw', 'new-query-pw', 'ghp_T0KEN']) assert.ok(!diff.includes(secret), `${secret} in:\n${diff}`);
    assert.match(diff, /^-url = zookeeper:\/\/st2:\*{8}@10\.0\.3\.51:2181$/m);
    assert.match(diff, /^\+url = redis:\/\/10\.0\.3\.50:26379\?sentinel=st2&password=\*{8}$/m);
    assert.match(diff, /^ url = amqp:\/\/st2:\*{8}@10\.0\.3\.10:5672\/$/m);
    assert.match(diff, /^\+repo = https:\/\/\*{8}@git\.example\.com\/x\.git deploy = ssh:\/\/git@git\.example\.com\/x\.git$/m, 'a token given as the user is masked, ssh’s account is not');
  });
});
