import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { onceEach } from '../../../src/core/lazy.js';

describe('onceEach', () => {
  it('works a value out once for each different argument list, and forgets a failure', () => {
    const calls: string[] = [];
    const joined = onceEach((a: string, b: string) => {
      calls.push(`${a}|${b}`);
      if (a === 'bad') throw new Error('no');
      return `${a}+${b}`;
    });
    assert.equal(joined('x', 'y'), 'x+y');
    assert.equal(joined('x', 'y'), 'x+y');
    // arguments that would join alike are still told apart
    assert.equal(joined('x\ny', ''), 'x\ny+');
    assert.equal(joined('x', '\ny'), 'x+\ny');
    assert.throws(() => joined('bad', ''), /no/);
    assert.throws(() => joined('bad', ''), /no/);
    assert.deepEqual(calls, ['x|y', 'x\ny|', 'x|\ny', 'bad|', 'bad|']);
  });
});
