import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InventoryError } from '../../../src/core/errors.js';
import { loadInventory } from '../../../src/inventory/inventory.js';
import { expandHostPattern } from '../../../src/inventory/ranges.js';
import { tempDir } from '../../harness/tempDir.js';

const temp = (name: string) => tempDir(name);

describe('inventory limits', () => {
  it('count a range before expanding it', () => {
    const t0 = Date.now();
    assert.match(String(expandHostPattern('node[1:100000000]')), /expands to 100,000,000 hosts/);
    assert.match(String(expandHostPattern('n[1:99999][1:99999][1:99999]')), /expands to/);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal((expandHostPattern('n[01:10000]') as string[]).length, 10000);
  });

  it('refuse 5,000 levels of children with file:line, not a stack overflow', () => {
    const dir = temp('inv');
    const file = join(dir, 'deep.ini');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `[g${i}:children]\ng${i + 1}\n`).join('') + '[g5000]\nh1\n');
    assert.throws(() => loadInventory(file), (err: unknown) => err instanceof InventoryError && /children nest more than 100 levels deep/.test(err.message));
  });

  it('refuse a file of several MB before reading it whole', () => {
    const dir = temp('inv');
    const file = join(dir, 'huge.ini');
    writeFileSync(file, `[web]\nh1 x=${'y'.repeat(50 * 1024 * 1024)}\n`);
    const t0 = Date.now();
    assert.throws(() => loadInventory(file), /huge\.ini:1: the file is larger than 4 MiB/);
    assert.ok(Date.now() - t0 < 2000);
  });
});
