import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { md5Verifier, scramVerifier, verifierMatches } from '../../../src/edit/pgPassword.js';

describe('PostgreSQL verifiers', () => {
  it('recognise the password they were made from', () => {
    const scram = scramVerifier('Stack Storm!');
    assert.match(scram, /^SCRAM-SHA-256\$4096:[^$]+\$[^:]+:.+$/);
    assert.ok(verifierMatches(scram, 'Stack Storm!', 'mistral'));
    assert.ok(!verifierMatches(scram, 'stack storm!', 'mistral'));
    // md5 verifier as PostgreSQL documents it: "md5" + md5(password || rolname)
    assert.equal(md5Verifier('StackStorm', 'mistral'), 'md59b2f4742671d1da416459d5f571ada76');
    assert.ok(verifierMatches(md5Verifier('StackStorm', 'mistral'), 'StackStorm', 'mistral'));
    assert.ok(!verifierMatches(null, 'x', 'mistral'));
  });
});
