import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { shellScript } from '../../../src/core/command.js';
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

  it('runs our shell scripts as functions of the batch (one per script), each answering as it would alone', () => {
    const script = 'set -u\nprintf "%s|" "$0" "$#" "$@"; echo\n[ "$1" != fail ] || { echo "bad: $2" >&2; exit 4; }\ntrap \'echo trapped\' EXIT\nexit 0';
    const facts = [
      fact('a', shellScript(script, ['one', "it's a \"quoted\" $HOME `x`"]), (r) => r),
      fact('b', shellScript(script, ['fail', 'why']), (r) => r),
      fact('c', shellScript('leak=1; echo "${1:-none}"'), (r) => r),
      fact('e', shellScript('echo "${leak:-unset}"'), (r) => r),
      fact('d', ['sh', '-c', 'echo not ours: $0', 'other'], (r) => r),
    ];
    const batch = batchScript(facts);
    assert.equal(batch.argv[2]!.split('() {').length - 1, 3, 'a function per distinct script');
    const run = spawnSync(batch.argv[0]!, batch.argv.slice(1), { encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    const alone = facts.map((f) => {
      const r = spawnSync(f.argv[0]!, f.argv.slice(1), { encoding: 'utf8' });
      return { code: r.status, stdout: r.stdout, stderr: r.stderr };
    });
    assert.deepEqual(batch.split(run.stdout).slice(0, 2), alone.slice(0, 2));
    assert.deepEqual(batch.split(run.stdout).slice(2), alone.slice(2), 'a variable one script sets is not seen by another');
    assert.equal(alone[3]!.stdout, 'unset\n');
  });
});

