import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Turnstile } from '../../../src/engine/turnstile.js';

/** Who has entered so far, in order, after the pending promise callbacks ran. */
const settle = () => new Promise((r) => setImmediate(r));

describe('turns in inventory order', () => {
  it('a host that reaches its turn first still waits for the hosts before it', async () => {
    const t = new Turnstile(['h1', 'h2', 'h3'], 1);
    const entered: string[] = [];
    const go = (h: string) => t.enter(h).then(() => entered.push(h));
    void go('h3');
    void go('h2');
    await settle();
    assert.deepEqual(entered, [], 'h1 has not had its turn');
    void go('h1');
    await settle();
    assert.deepEqual(entered, ['h1']);
    assert.equal(t.leave('h1'), true);
    await settle();
    assert.deepEqual(entered, ['h1', 'h2']);
    t.leave('h2');
    await settle();
    assert.deepEqual(entered, ['h1', 'h2', 'h3']);
  });

  it('a host that needs no turn (or failed before it) does not hold up the others', async () => {
    const t = new Turnstile(['h1', 'h2', 'h3'], 1);
    const entered: string[] = [];
    void t.enter('h2').then(() => entered.push('h2'));
    assert.equal(t.leave('h1'), false, 'h1 held no turn');
    await settle();
    assert.deepEqual(entered, ['h2']);
  });

  it('size 2: a window of two, still in order', async () => {
    const t = new Turnstile(['h1', 'h2', 'h3', 'h4'], 2);
    const entered: string[] = [];
    for (const h of ['h4', 'h3', 'h2', 'h1']) void t.enter(h).then(() => entered.push(h));
    await settle();
    assert.deepEqual(entered.sort(), ['h1', 'h2']);
    assert.ok(t.holds('h1') && t.holds('h2') && !t.holds('h3'));
    t.leave('h2');
    await settle();
    assert.deepEqual(entered.sort(), ['h1', 'h2', 'h3']);
    assert.equal(t.members, 4);
  });
});
