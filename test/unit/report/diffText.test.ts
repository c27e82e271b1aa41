import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { renderDiff } from '../../../src/report/diffText.js';
import { plain } from '../../../src/report/style.js';

describe('diff rendering', () => {
  it('caps long diffs with a count of what is left out', () => {
    const diff = ['--- a/x', '+++ b/x', '@@ -1,300 +1,300 @@', ...Array.from({ length: 300 }, (_, i) => `+line ${i}`)].join('\n');
    const text = renderDiff(diff, plain, 50);
    assert.equal(text.split('\n').length, 51);
    assert.match(text, /… 253 more diff lines \(\+253 −0\)/);
  });
});
