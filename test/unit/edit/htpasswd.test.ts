import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { apr1 } from '../../../src/edit/htpasswd.js';

describe('htpasswd', () => {
  it('APR1 MD5 agrees with openssl passwd -apr1', () => {
    for (const [password, salt] of [['Ch@nge me', 'fNN09TvT'], ['', 'abcdefgh'], ['a much longer password than sixteen bytes', '12345678']] as const) {
      const expected = spawnSync('openssl', ['passwd', '-apr1', '-salt', salt, password], { encoding: 'utf8' }).stdout.trim();
      assert.equal(apr1(password, salt), expected);
    }
  });
});
