import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ensureHbaRule, normalizeAddress } from '../../../src/edit/pgHba.js';
import { debianPostgresFile } from '../../harness/debianFiles.js';

describe('pg_hba rules on Debian’s pg_hba.conf', () => {
  const original = debianPostgresFile('pg_hba.conf');
  const rule = { type: 'host', database: 'all', user: 'all', address: '10.0.3.0/24', method: 'scram-sha-256' } as const;

  it('appends a missing rule once and keeps everything else', () => {
    const edited = ensureHbaRule(original, rule);
    assert.ok(edited.startsWith(original.endsWith('\n') ? original : `${original}\n`));
    assert.match(edited, /\nhost\tall\tall\t10\.0\.3\.0\/24\tscram-sha-256\n$/);
    assert.equal(ensureHbaRule(edited, rule), edited);
  });

  it('treats 10.0.3.1/24 as the same network and changes the method in place', () => {
    const hand = `${original}host all all 10.0.3.1/24 trust\n# trailing note\n`;
    const edited = ensureHbaRule(hand, rule);
    assert.ok(!/trust\n# trailing/.test(edited));
    assert.ok(edited.includes('# trailing note'));
    assert.equal(edited.split('\n').filter((l) => l.includes('10.0.3.')).length, 1);
  });

  it('removes repeats of the same rule', () => {
    const hand = `${original}host all all 10.0.3.0/24 md5\nhost all all 10.0.3.0/24 md5\n`;
    assert.equal(ensureHbaRule(hand, rule).split('\n').filter((l) => l.includes('10.0.3.0/24')).length, 1);
  });

  it('normalizes networks', () => {
    assert.equal(normalizeAddress('10.0.3.77/24'), '10.0.3.0/24');
    assert.equal(normalizeAddress('10.0.3.77/32'), '10.0.3.77/32');
    assert.equal(normalizeAddress('0.0.0.0/0'), '0.0.0.0/0');
  });
});
