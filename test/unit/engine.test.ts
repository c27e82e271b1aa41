import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { HostContext } from '../../src/core/context.js';
import { PlaybookError } from '../../src/core/errors.js';
import type { Operation, Play } from '../../src/core/operation.js';
import type { Transport } from '../../src/engine/engineHost.js';
import { localExecutor } from '../../src/engine/localExecutor.js';
import { runPlays } from '../../src/engine/runner.js';
import { resolveInventory } from '../../src/inventory/inventory.js';
import { parseInventory } from '../../src/inventory/parse.js';
import { clusterView } from '../../src/inventory/selection.js';
import { settle } from '../../src/inventory/settings.js';
import * as ops from '../../src/ops/index.js';
import { OwedHandlers } from '../../src/state/owedHandlers.js';
import { SecretStore } from '../../src/state/secretStore.js';
import { StateFolder } from '../../src/state/stateFolder.js';
import { fact } from '../../src/core/fact.js';
import { batchScript } from '../../src/engine/factBatch.js';
import { md5Verifier, scramVerifier, verifierMatches } from '../../src/edit/pgPassword.js';
import { Secret, mask, masked, redactReplacedSecrets } from '../../src/core/secret.js';
import { renderDiff } from '../../src/report/diffText.js';
import { plain } from '../../src/report/style.js';

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

describe('secrets', () => {
  it('never turn into their text by accident', () => {
    const s = new Secret('correct-horse-battery');
    assert.equal(`${s}`, '********');
    assert.equal(JSON.stringify({ s }), '{"s":"********"}');
    assert.equal(mask('url=postgresql://m:correct-horse-battery@h/db'), 'url=postgresql://m:********@h/db');
    assert.deepEqual(masked({ a: ['x correct-horse-battery y'] }), { a: ['x ******** y'] });
  });

  it('mask the old value of a line that now carries a secret, in removed diff lines only', () => {
    new Secret('brand-new-secret');
    const diff = '--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n-url = postgresql://m:old-unknown@10.0.3.9/db\n-port = 1\n+url = postgresql://m:brand-new-secret@10.0.3.10/db\n+port = 2';
    const after = 'url = postgresql://m:brand-new-secret@10.0.3.10/db\nport = 2\n';
    const out = redactReplacedSecrets(diff, after);
    assert.ok(!out.includes('old-unknown'));
    assert.ok(out.includes('-url = postgresql://m:********'));
    assert.ok(out.includes('-port = 1'), 'lines without secrets keep their diff');
  });

  it('are masked URL-encoded too', () => {
    new Secret('p@ss w/rd#1');
    assert.equal(mask('amqp://st2:p%40ss%20w%2Frd%231@host'), 'amqp://st2:********@host');
  });
});

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

describe('diff rendering', () => {
  it('caps long diffs with a count of what is left out', () => {
    const diff = ['--- a/x', '+++ b/x', '@@ -1,300 +1,300 @@', ...Array.from({ length: 300 }, (_, i) => `+line ${i}`)].join('\n');
    const text = renderDiff(diff, plain, 50);
    assert.equal(text.split('\n').length, 51);
    assert.match(text, /… 253 more diff lines \(\+253 −0\)/);
  });
});

describe('the engine', () => {
  /** Two hosts that are this machine: commands run by a local shell, no SSH (the engine's logic only). */
  const run = async (mode: 'diff' | 'apply', plays: Play[], dir: string) => {
    const settled = settle(resolveInventory(parseInventory('[all]\nh1\nh2\n', join(dir, 'inventory.ini'))));
    const folder = new StateFolder(join(dir, 'state'), mode === 'apply');
    const local: Transport = { name: 'local', connect: async () => undefined, close: () => undefined, exec: localExecutor.exec, withTcp: localExecutor.withTcp, hold: async () => ({ acquired: true, release: () => undefined, done: new Promise(() => undefined) }) };
    return runPlays(plays, settled.hosts, {
      mode, forks: 2, tags: [], skipTags: [], anyErrorsFatal: false, maxFailPercent: 100, lockWaitSeconds: 1,
      connect: () => local, vault: new SecretStore(folder, () => undefined), owed: new OwedHandlers(folder),
      cluster: clusterView(settled, ['h1', 'h2']), events: {},
    });
  };

  it('calls a step’s run() once per host per run, whatever it plans', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st2prov-engine-'));
    const calls = new Map<string, number>();
    const counted = (step: string, work: (h: HostContext) => Operation) => ({
      name: step,
      run: (h: HostContext) => {
        calls.set(`${step}@${h.name}`, (calls.get(`${step}@${h.name}`) ?? 0) + 1);
        return work(h);
      },
    });
    const plays: Play[] = [{
      name: 'counted',
      hosts: 'all',
      steps: [
        counted('make a folder', (h) => ops.directory(join(dir, h.name))),
        counted('a file in it', (h) => ops.file({ path: join(dir, h.name, 'f'), content: 'x\n' })),
      ],
    }];
    for (const mode of ['diff', 'apply', 'apply'] as const) {
      calls.clear();
      const report = await run(mode, plays, dir);
      assert.deepEqual(report.recap.map((r) => r.failed), [0, 0], JSON.stringify(report.results.map((r) => r.reason)));
      assert.deepEqual([...calls.entries()].sort(), [['a file in it@h1', 1], ['a file in it@h2', 1], ['make a folder@h1', 1], ['make a folder@h2', 1]], mode);
    }
    assert.equal(readFileSync(join(dir, 'h1', 'f'), 'utf8'), 'x\n');
  });

  it('reports an error thrown by run() at that step, not before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'st2prov-engine-'));
    const plays: Play[] = [{
      name: 'broken',
      hosts: 'all',
      steps: [
        { name: 'first', run: (h) => ops.file({ path: join(dir, `${h.name}.first`), content: '1\n' }) },
        { name: 'second', run: () => { throw new PlaybookError('second cannot plan'); } },
      ],
    }];
    const report = await run('apply', plays, dir);
    assert.deepEqual(report.results.filter((r) => r.host === 'h1').map((r) => [r.step, r.status]), [['first', 'changed'], ['second', 'failed']]);
    assert.match(report.recap[0]!.reason!, /second: second cannot plan/);
    assert.ok(existsSync(join(dir, 'h1.first')), 'the step before ran');
  });
});
