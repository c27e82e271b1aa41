import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { fact } from '../../../src/core/fact.js';
import { batchScript } from '../../../src/engine/factBatch.js';

describe('fact batches', () => {
  it('frame each command’s output, exit code and stderr, even without a trailing newline', () => {
    const facts = [
      fact('a', ['printf', 'no newline'], (r) => r),
      fact('b', ['sh', '-c', 'echo out; echo err >&2; exit 3'], (r) => r),
      fact('c', ['printf', '\n\nblank lines\n\n'], (r) => r),
      fact('d', ['printf', '@@ lookalike marker\n'], (r) => r),
    ];
    const batch = batchScript(facts);
    // the script is run by a real local shell: the same text a host's sh would get
    const run = spawnSync(batch.argv[0]!, batch.argv.slice(1), { encoding: 'utf8' });
    assert.equal(run.status, 0);
    const results = batch.split(run.stdout);
    assert.deepEqual(results, [
      { code: 0, stdout: 'no newline', stderr: '' },
      { code: 3, stdout: 'out\n', stderr: 'err\n' },
      { code: 0, stdout: '\n\nblank lines\n\n', stderr: '' },
      { code: 0, stdout: '@@ lookalike marker\n', stderr: '' },
    ]);
  });
});
