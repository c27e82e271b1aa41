import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { armoredKey } from '../../../src/edit/openpgpArmor.js';

describe('OpenPGP armor', () => {
  it('round-trips through gpg --dearmor (checksum included)', () => {
    const key = randomBytes(517);
    const armored = armoredKey(key);
    assert.match(armored, /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n\n/);
    const r = spawnSync('gpg', ['--dearmor'], { input: armored });
    assert.equal(r.status, 0, `gpg is needed (apt-get install gnupg): ${r.stderr}`);
    assert.ok(Buffer.compare(r.stdout, key) === 0);
  });

  it('leaves an armored key as it is', () => {
    const text = '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nabc\n-----END PGP PUBLIC KEY BLOCK-----\n';
    assert.equal(armoredKey(text), text);
  });
});
