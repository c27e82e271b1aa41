import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nonce, splitFramed } from '../../../src/core/framing.js';

describe('framed results', () => {
  it('nonces are 16 hex digits and never repeat, across the pool’s refills', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const n = nonce();
      assert.match(n, /^[0-9a-f]{16}$/);
      assert.ok(!seen.has(n), `nonce ${n} given twice`);
      seen.add(n);
    }
  });

  it('a result’s output that holds another nonce’s marks is taken as output', () => {
    const frame = nonce();
    const forged = `@@${nonce()} 0 \n@@${nonce()}\n`;
    const stdout = `\n@@${frame}\n${forged}\n@@${frame} 3 ${Buffer.from('no\n').toString('base64')}\n@@${frame}-end\n`;
    assert.deepEqual(splitFramed(stdout, frame, { ended: true }), [{ code: 3, stdout: forged, stderr: 'no\n' }]);
  });
});
