import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { resolveInventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';

const inv = resolveInventory(parseInventory(`
[controller]
st2-multi-node-cntl

[blueprint]
st2-multi-node-[1:3]

[east]
st2-multi-node-1
st2-multi-node-cntl

[st2:children]
controller
blueprint
`, 'p.ini'));

describe('host patterns (--limit)', () => {
  const cases: [string, string[]][] = [
    ['all', ['st2-multi-node-cntl', 'st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['blueprint', ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['st2-multi-node-2,st2-multi-node-cntl', ['st2-multi-node-cntl', 'st2-multi-node-2']],
    ['controller:blueprint', ['st2-multi-node-cntl', 'st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['blueprint:!st2-multi-node-2', ['st2-multi-node-1', 'st2-multi-node-3']],
    ['st2:&east', ['st2-multi-node-cntl', 'st2-multi-node-1']],
    ['st2:&east:!controller', ['st2-multi-node-1']],
    ['st2-multi-node-?', ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['*cntl', ['st2-multi-node-cntl']],
    ['~node-[23]$', ['st2-multi-node-2', 'st2-multi-node-3']],
  ];
  for (const [pattern, expected] of cases) {
    it(`"${pattern}"`, () => assert.deepEqual(inv.select(pattern), expected));
  }

  it('a pattern that matches nothing is a usage error naming the remedy', () => {
    assert.throws(() => inv.select('st2-multi-node-9'), (err: unknown) => err instanceof UsageError && /matches no host/.test(err.message));
  });
});
