import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { tempDir } from '../../harness/tempDir.js';
import { change } from '../../../src/core/change.js';
import type { ClusterHost, HostContext } from '../../../src/core/context.js';
import { fact } from '../../../src/core/fact.js';
import type { Operation, Play, Step } from '../../../src/core/operation.js';
import { selectedByTags } from '../../../src/engine/hostPlay.js';
import type { Transport } from '../../../src/engine/engineHost.js';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { runPlays, type Serial } from '../../../src/engine/runner.js';
import { resolveInventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';
import { clusterView } from '../../../src/inventory/selection.js';
import { settle } from '../../../src/inventory/settings.js';
import { OwedHandlers } from '../../../src/state/owedHandlers.js';
import { SecretStore } from '../../../src/state/secretStore.js';
import { StateFolder } from '../../../src/state/stateFolder.js';

/** Hosts that are this machine: commands run by a local shell (the engine's logic only). */
const run = async (mode: 'diff' | 'apply', plays: Play[], dir: string, inventory: string, serial?: Serial, steps: { tags?: string[]; skipTags?: string[] } = {}) => {
  const settled = settle(resolveInventory(parseInventory(inventory, join(dir, 'inventory.ini'))));
  const folder = new StateFolder(join(dir, 'state'), mode === 'apply');
  const local: Transport = { name: 'local', connect: async () => undefined, close: () => undefined, exec: localExecutor.exec, withTcp: localExecutor.withTcp, hold: async () => ({ acquired: true, release: () => undefined, done: new Promise(() => undefined) }) };
  return runPlays(plays, settled.hosts, {
    mode, forks: 25, ...(serial ? { serial } : {}), tags: steps.tags ?? [], skipTags: steps.skipTags ?? [], anyErrorsFatal: false, maxFailPercent: 100, lockWaitSeconds: 1,
    connect: () => local, vault: new SecretStore(folder, () => undefined), owed: new OwedHandlers(folder),
    cluster: clusterView(settled, settled.hosts.map((h) => h.name)), events: {},
  });
};

/** An operation of one change that appends a line to the log when applied. */
const logged = (dir: string, line: string, options: { disrupts?: boolean; fail?: boolean; notify?: string[] } = {}): Operation => ({
  title: line,
  async plan(host) {
    return [change({
      kind: 'command',
      summary: line,
      ...(options.disrupts ? { disrupts: true } : {}),
      ...(options.notify ? { notify: options.notify } : {}),
      apply: async () => {
        await host.run(line, { argv: ['sh', '-c', 'echo "$2" >> "$1"; [ "$3" != fail ]', 'sh', join(dir, 'order.log'), `${line} ${host.name}`, options.fail ? 'fail' : ''] });
      },
    })];
  },
});

const order = (dir: string) => readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');

/** A host a stopped run left out of service is marked by a file; its way back removes it. */
const outMark = (dir: string, host: string) => join(dir, `${host}.out`);
const putBack = (dir: string): Operation => ({
  title: 'back',
  plan: async (host) => [change({ kind: 'drain', summary: 'back', apply: async () => {
    await host.run('back', { argv: ['sh', '-c', 'echo "back $2" >> "$1"; rm -f "$3"', 'sh', join(dir, 'order.log'), host.name, outMark(dir, host.name)] });
  } })],
});

const drainedPlay = (dir: string, steps: { disrupts?: boolean; failOn?: string; restart?: boolean; serving?: boolean; configDisrupts?: boolean; services?: boolean } = {}): Play[] => [{
  name: 'bp',
  hosts: 'bp',
  ...(steps.serving !== undefined ? { serving: () => fact('serving', ['sh', '-c', steps.serving ? 'true' : 'false'], (r) => r.code === 0) } : {}),
  drain: {
    out: 'drain: out',
    back: 'undrain: back',
    take: () => logged(dir, 'out'),
    restore: (h: HostContext, drained: boolean) => drained || existsSync(outMark(dir, h.name)) ? putBack(dir) : { title: 'nothing to put back', plan: async () => [] },
    leftOut: async (_from: HostContext, node: ClusterHost) => existsSync(outMark(dir, node.name)) ? { reason: `${node.name} is out`, remedy: `apply --limit ${node.name}` } : undefined,
  },
  steps: [
    { name: 'config', tags: ['config'], run: () => logged(dir, 'config', { notify: steps.restart ? ['restart'] : [], disrupts: steps.configDisrupts ?? false }) },
    { name: 'upgrade', rolling: true, tags: ['packages'], run: (h) => logged(dir, 'upgrade', { disrupts: steps.disrupts ?? true, fail: steps.failOn === h.name }) },
    ...(steps.services ? [{ name: 'services', tags: ['services'], run: () => logged(dir, 'services', { disrupts: true }) }] : []),
  ],
  handlers: { restart: () => logged(dir, 'restart', { disrupts: true }) },
}];

describe('a play that drains its hosts in their turns', () => {
  it('takes a host out just before its first disruptive change, puts it back after its handlers, one host at a time in inventory order', async () => {
    const dir = tempDir('drain');
    const report = await run('apply', drainedPlay(dir, { restart: true }), dir, '[bp]\nh1\nh2\nh3\n');
    assert.deepEqual(report.recap.map((r) => r.failed), [0, 0, 0]);
    const turns = order(dir).filter((l) => !l.startsWith('config'));
    assert.deepEqual(turns, ['out h1', 'upgrade h1', 'restart h1', 'back h1', 'out h2', 'upgrade h2', 'restart h2', 'back h2', 'out h3', 'upgrade h3', 'restart h3', 'back h3']);
    const steps = report.results.filter((r) => r.host === 'h1').map((r) => r.step);
    assert.deepEqual(steps, ['config', 'drain: out', 'upgrade', 'handler: restart', 'undrain: back']);
  });

  it('drains nothing when nothing in the turn disrupts', async () => {
    const dir = tempDir('drain');
    const report = await run('apply', drainedPlay(dir, { disrupts: false }), dir, '[bp]\nh1\nh2\n');
    assert.ok(!order(dir).some((l) => l.startsWith('out') || l.startsWith('back')), order(dir).join('\n'));
    assert.deepEqual(report.results.filter((r) => r.step === 'undrain: back').map((r) => r.status), ['ok', 'ok'], 'the way back is looked at, and finds nothing');
  });

  it('a host that fails in its turn stays out; the hosts after it are not touched', async () => {
    const dir = tempDir('drain');
    const report = await run('apply', drainedPlay(dir, { failOn: 'h2' }), dir, '[bp]\nh1\nh2\nh3\n');
    assert.deepEqual(order(dir).filter((l) => !l.startsWith('config')), ['out h1', 'upgrade h1', 'back h1', 'out h2', 'upgrade h2']);
    assert.match(report.recap.find((r) => r.host === 'h3')!.reason!, /not run: h2 failed in its turn/);
  });

  it('a host that does not serve yet is not drained', async () => {
    const dir = tempDir('drain');
    await run('apply', drainedPlay(dir, { serving: false }), dir, '[bp]\nh1\n');
    assert.deepEqual(order(dir), ['config h1', 'upgrade h1']);
  });

  it('a dry run shows the drain and the way back where the apply would do them', async () => {
    const dir = tempDir('drain');
    const report = await run('diff', drainedPlay(dir), dir, '[bp]\nh1\n');
    assert.deepEqual(report.results.map((r) => [r.step, r.changes.map((c) => c.summary)]), [['config', ['config']], ['drain: out', ['out']], ['upgrade', ['upgrade']], ['undrain: back', ['back']]]);
  });

  it('--tags that leave out the rolling step: a restart its handler owes still waits for the host’s turn, drained, and the host goes back, one at a time', async () => {
    for (const mode of ['diff', 'apply'] as const) {
      const dir = tempDir('drain');
      const report = await run(mode, drainedPlay(dir, { restart: true }), dir, '[bp]\nh1\nh2\n', undefined, { tags: ['config'] });
      assert.deepEqual(report.recap.map((r) => r.failed), [0, 0], mode);
      for (const host of ['h1', 'h2']) {
        assert.deepEqual(report.results.filter((r) => r.host === host).map((r) => r.step), ['config', 'drain: out', 'handler: restart', 'undrain: back'], `${mode} ${host}`);
      }
      if (mode === 'apply') assert.deepEqual(order(dir).filter((l) => !l.startsWith('config')), ['out h1', 'restart h1', 'back h1', 'out h2', 'restart h2', 'back h2']);
    }
  });

  it('--skip-tags that leave out the rolling step: a later step that disrupts still waits for the host’s turn, drained', async () => {
    const dir = tempDir('drain');
    const report = await run('apply', drainedPlay(dir, { services: true }), dir, '[bp]\nh1\nh2\n', undefined, { skipTags: ['packages'] });
    assert.deepEqual(report.recap.map((r) => r.failed), [0, 0]);
    assert.ok(!order(dir).some((l) => l.startsWith('upgrade')), 'the skipped step did not run');
    assert.deepEqual(order(dir).filter((l) => !l.startsWith('config')), ['out h1', 'services h1', 'back h1', 'out h2', 'services h2', 'back h2']);
  });

  it('a change that disrupts in a step before the rolling one waits for the host’s turn too, drained', async () => {
    const dir = tempDir('drain');
    await run('apply', drainedPlay(dir, { configDisrupts: true }), dir, '[bp]\nh1\nh2\n', undefined, { tags: ['config'] });
    assert.deepEqual(order(dir), ['out h1', 'config h1', 'back h1', 'out h2', 'config h2', 'back h2']);
  });

  it('a host a stopped run left out of service goes back in its turn, even when the run selects nothing else to do there; diff shows it first', async () => {
    const dir = tempDir('drain');
    writeFileSync(outMark(dir, 'h2'), '');
    const diff = await run('diff', drainedPlay(dir), dir, '[bp]\nh1\nh2\n', undefined, { tags: ['config'] });
    const back = (r: typeof diff) => r.results.filter((x) => x.step === 'undrain: back').map((x) => [x.host, x.changes.map((c) => c.summary)]);
    assert.deepEqual(back(diff), [['h2', ['back']]]);
    assert.ok(existsSync(outMark(dir, 'h2')), 'a dry run changes nothing');
    const apply = await run('apply', drainedPlay(dir), dir, '[bp]\nh1\nh2\n', undefined, { tags: ['config'] });
    assert.deepEqual(back(apply), [['h2', ['back']]]);
    assert.deepEqual(order(dir).filter((l) => !l.startsWith('config')), ['back h2']);
    assert.ok(!existsSync(outMark(dir, 'h2')), 'back in service');
    const again = await run('diff', drainedPlay(dir), dir, '[bp]\nh1\nh2\n', undefined, { tags: ['config'] });
    assert.deepEqual(back(again), [], 'after the apply, diff shows no way back');
  });

  it('--serial 2: two hosts in their turns at once, still granted in inventory order', async () => {
    const dir = tempDir('drain');
    await run('apply', drainedPlay(dir), dir, '[bp]\nh1\nh2\nh3\nh4\n', { count: 2 });
    const outs = order(dir).filter((l) => l.startsWith('out')).map((l) => l.split(' ')[1]);
    assert.deepEqual(outs.slice(0, 2).sort(), ['h1', 'h2']);
    assert.deepEqual(outs.slice(2).sort(), ['h3', 'h4']);
  });
});

describe('a handler and the services its play started', () => {
  /** A change that starts these services from stopped; the handler records what the engine told it. */
  const starting = (services: string[], notify: string[] = []): Operation => ({
    title: `start ${services.join(' ')}`,
    plan: async () => [change({ kind: 'service', summary: `start ${services.join(' ')}`, starts: services, notify, apply: async () => undefined })],
  });
  const scopes: string[][] = [];
  const recording: Operation = {
    title: 'restart a b',
    plan: async (_h, scope) => {
      scopes.push([...(scope?.startedSinceNotice ?? [])].sort());
      return [];
    },
  };
  const play = (steps: Play['steps']): Play[] => [{ name: 'p', hosts: 'all', steps, handlers: { restart: () => recording } }];

  for (const mode of ['diff', 'apply'] as const) {
    it(`${mode}: is told which services started after it was last notified (they run the new configuration), not those started before`, async () => {
      scopes.length = 0;
      const dir = tempDir('fresh');
      await run(mode, play([
        { name: 'early start', run: () => starting(['early']) },
        { name: 'config', run: () => logged(dir, 'config', { notify: ['restart'] }) },
        { name: 'start a', run: () => starting(['a']) },
        { name: 'unrelated', run: () => logged(dir, 'unrelated') },
        { name: 'start b', run: () => starting(['b']) },
      ]), dir, '[all]\nh1\n');
      assert.deepEqual(scopes, [['a', 'b']]);
    });
  }

  it('a notice after the start makes the restart count again', async () => {
    scopes.length = 0;
    const dir = tempDir('fresh');
    await run('apply', play([
      { name: 'start a and b', run: () => starting(['a', 'b'], ['restart']) },
      { name: 'config', run: () => logged(dir, 'config', { notify: ['restart'] }) },
    ]), dir, '[all]\nh1\n');
    assert.deepEqual(scopes, [[]], 'a and b were started before the last notice: both restart');
  });
});

describe('steps chosen by tags', () => {
  const step = (fields: Partial<Step>): Step => ({ name: 's', run: () => undefined, ...fields }) as Step;
  it('always-tagged steps run unless --skip-tags always; a required step (the cluster material) runs whatever the tags say', () => {
    assert.equal(selectedByTags(step({ tags: ['always'] }), { tags: ['x'], skipTags: [] }), true);
    assert.equal(selectedByTags(step({ tags: ['always'] }), { tags: [], skipTags: ['always'] }), false);
    assert.equal(selectedByTags(step({ tags: ['always'], required: true }), { tags: [], skipTags: ['always'] }), true);
    assert.equal(selectedByTags(step({ tags: ['x'], required: true }), { tags: ['y'], skipTags: ['x'] }), true);
    assert.equal(selectedByTags(step({ tags: ['x'] }), { tags: ['y'], skipTags: [] }), false);
  });
});
