import assert from 'node:assert/strict';
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fingerprint, KnownHosts } from '../../../src/ssh/knownHosts.js';
import { tempDir } from '../../harness/tempDir.js';

/** An ed25519 public key in SSH wire format, as a server presents it. */
function ed25519Blob(): Buffer {
  const { publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const field = (b: Buffer) => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  return Buffer.concat([field(Buffer.from('ssh-ed25519')), field(raw)]);
}

describe('known_hosts', () => {
  const dir = tempDir('kh');
  const key = ed25519Blob();
  const other = ed25519Blob();
  const b64 = key.toString('base64');

  it('finds plain entries, with [host]:port for other ports', () => {
    const file = join(dir, 'plain');
    writeFileSync(file, `# comment\n[10.1.2.3]:2222 ssh-ed25519 ${b64}\nexample.org,10.9.9.9 ssh-ed25519 ${b64}\n`);
    const kh = new KnownHosts(file);
    assert.equal(kh.verify('10.1.2.3', 2222, key).status, 'known');
    assert.equal(kh.verify('10.9.9.9', 22, key).status, 'known');
    assert.equal(kh.verify('10.1.2.3', 22, key).status, 'unknown');
    assert.deepEqual(kh.knownTypes('10.1.2.3', 2222), ['ssh-ed25519']);
  });

  it('finds hashed entries', () => {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update('[127.0.0.1]:2200').digest('base64');
    const file = join(dir, 'hashed');
    writeFileSync(file, `|1|${salt.toString('base64')}|${hash} ssh-ed25519 ${b64}\n`);
    assert.equal(new KnownHosts(file).verify('127.0.0.1', 2200, key).status, 'known');
  });

  it('reports a changed key with the line of the old one, and a revoked key', () => {
    const file = join(dir, 'changed');
    writeFileSync(file, `\nhostA ssh-ed25519 ${b64}\n@revoked hostB ssh-ed25519 ${other.toString('base64')}\n`);
    const kh = new KnownHosts(file);
    const verdict = kh.verify('hostA', 22, other);
    assert.equal(verdict.status, 'changed');
    assert.equal(verdict.status === 'changed' && verdict.line, 2);
    assert.equal(verdict.status === 'changed' && verdict.fingerprint, fingerprint(other));
    assert.equal(kh.verify('hostB', 22, other).status, 'revoked');
  });

  it('appends hashed entries without rewriting the file', () => {
    const file = join(dir, 'append');
    writeFileSync(file, '# keep me\n');
    new KnownHosts(file).append('10.7.7.7', 2022, key);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('# keep me\n|1|'));
    assert.ok(!text.includes('10.7.7.7'));
    assert.equal(new KnownHosts(file).verify('10.7.7.7', 2022, key).status, 'known');
  });

  it('gives OpenSSH-style SHA256 fingerprints', () => {
    assert.match(fingerprint(key), /^SHA256:[A-Za-z0-9+/]{43}$/);
  });
});
