import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { MissingInput, PlaybookError } from '../../../src/core/errors.js';
import { fact } from '../../../src/core/fact.js';
import type { Operation, Play } from '../../../src/core/operation.js';
import type { Transport } from '../../../src/engine/engineHost.js';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { runPlays, type Serial } from '../../../src/engine/runner.js';
import { resolveInventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';
import { clusterView } from '../../../src/inventory/selection.js';
import { settle } from '../../../src/inventory/settings.js';
import * as ops from '../../../src/ops/index.js';
import { OwedHandlers } from '../../../src/state/owedHandlers.js';
import { SecretStore } from '../../../src/state/secretStore.js';
import { StateFolder } from '../../../src/state/stateFolder.js';
import { tempDir } from '../../harness/tempDir.js';

/**
 * Two hosts that are this machine: commands run by a local shell, no SSH (the engine's logic
 * only); `commands`, when given, gets every command the hosts are given.
 */
const run = async (mode: 'diff' | 'apply', plays: Play[], dir: string, inventory = '[all]\nh1\nh2\n', forks = 2, serial?: Serial, commands?: string[], limit?: string[]) => {
  const all = settle(resolveInventory(parseInventory(inventory, join(dir, 'inventory.ini'))));
  // --limit: the run works on these hosts; the cluster still has every one
  const settled = { ...all, hosts: all.hosts.filter((h) => !limit || limit.includes(h.name)) };
  const folder = new StateFolder(join(dir, 'state'), mode === 'apply');
  const exec: Transport['exec'] = (r) => {
    commands?.push(r.argv.join(' '));
    return localExecutor.exec(r);
  };
  const local: Transport = { name: 'local', connect: async () => undefined, close: () => undefined, exec, withTcp: localExecutor.withTcp, hold: async () => ({ acquired: true, release: () => undefined, done: new Promise(() => undefined) }) };
  return runPlays(plays, settled.hosts, {
    mode, forks, ...(serial ? { serial } : {}), tags: [], skipTags: [], anyErrorsFatal: false, maxFailPercent: 100, lockWaitSeconds: 1,
    connect: () => local, vault: new SecretStore(folder, () => undefined), owed: new OwedHandlers(folder),
    cluster: clusterView(all, settled.hosts.map((h) => h.name)), events: {},
  });
};

describe('the engine', () => {
  it('calls a step’s run() once per host per run, whatever it plans', async () => {
    const dir = tempDir('engine');
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
    const dir = tempDir('engine');
    const plays: Play[] = [{
      name: 'broken',
      hosts: 'all',
      steps: [
        { name: 'first', run: (h) => ops.file({ path: join(dir, `${h.name}.first`), content: '1\n' }) },
        { name: 'second', run: () => { throw new PlaybookError('second cannot plan'); } },
      ],
    }];
    const report = await run('apply', plays, dir);
    assert.deepEqual(report.results.filter((r) => r.host === 'h1').map((r) => [r.step, r.status]), [['first', 'changed'], ['second', 'failed']], JSON.stringify(report.results.map((r) => r.reason)));
    assert.match(report.recap[0]!.reason!, /second: second cannot plan/);
    assert.ok(existsSync(join(dir, 'h1.first')), 'the step before ran');
  });

  it('a handler whose service comes with a package not installed yet is pending in a dry run, a failure in an apply', async () => {
    const dir = tempDir('engine');
    const notInstalled: Operation = { title: 'reload a service', plan: async () => { throw new MissingInput('a unit or init script for svc'); } };
    const plays: Play[] = [{
      name: 'handled',
      hosts: 'all',
      steps: [{ name: 'config', run: (h) => ops.file({ path: join(dir, `${h.name}.conf`), content: 'x\n', notify: ['reload svc'] }) }],
      handlers: { 'reload svc': () => notInstalled },
    }];
    const diff = await run('diff', plays, dir);
    assert.deepEqual(diff.recap.map((r) => r.failed), [0, 0], JSON.stringify(diff.results.map((r) => r.reason)));
    const handler = diff.results.find((r) => r.host === 'h1' && r.step === 'handler: reload svc')!;
    assert.equal(handler.status, 'pending');
    assert.match(handler.reason!, /^pending, after "config" \(a unit or init script for svc does not exist yet\)$/);
    const applied = await run('apply', plays, dir);
    assert.deepEqual(applied.results.filter((r) => r.host === 'h1').map((r) => [r.step, r.status]), [['config', 'changed'], ['handler: reload svc', 'failed']]);
  });

  it('in a dry run, a later play’s step whose input an earlier play of the host makes is pending after that play’s last change', async () => {
    const dir = tempDir('engine');
    const notRunning: Operation = { title: 'join the cluster', plan: async () => { throw new MissingInput('a running broker'); } };
    const plays: Play[] = [
      { name: 'install', hosts: 'all', steps: [{ name: 'install the broker', run: (h) => ops.file({ path: join(dir, `${h.name}.installed`), content: 'x\n' }) }] },
      { name: 'cluster', hosts: 'all', steps: [{ name: 'join', run: () => notRunning }] },
    ];
    const diff = await run('diff', plays, dir);
    assert.deepEqual(diff.recap.map((r) => r.failed), [0, 0], JSON.stringify(diff.results.map((r) => r.reason)));
    const joined = diff.results.find((r) => r.host === 'h1' && r.step === 'join')!;
    assert.equal(joined.status, 'pending');
    assert.equal(joined.reason, 'pending, after "install the broker" (a running broker does not exist yet)');
    // nothing changed before it (installed already): the missing input is a failure, in a dry run too
    await run('apply', [plays[0]!], dir);
    const again = await run('diff', plays, dir);
    assert.deepEqual(again.results.filter((r) => r.host === 'h1').map((r) => [r.step, r.status]), [['install the broker', 'ok'], ['join', 'failed']]);
  });
});

describe('plays that overlap', () => {
  const logLine = (dir: string, line: string) => ops.command({ summary: line, argv: ['sh', '-c', 'echo "$2" >> "$1"', 'sh', join(dir, 'order.log'), line] });
  /**
   * The controller's step waits (up to 10 s) for the blueprint's independent step to have
   * logged, when the forks let them overlap; with one fork it cannot, and it only sleeps.
   */
  const plays = (dir: string, failController: boolean, forks = 25): Play[] => [
    { name: 'controller', hosts: 'ctl', steps: [
      { name: 'slow', run: () => ops.command({ summary: 'slow', argv: ['sh', '-c', `${forks > 1 ? 'i=0; until grep -q "blueprint files" "$1" 2>/dev/null || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done' : 'sleep 0.5'}; echo "controller done" >> "$1"; exit "$2"`, 'sh', join(dir, 'order.log'), failController ? '3' : '0'] }) },
    ] },
    { name: 'blueprint', hosts: 'bp', needs: 'ctl', steps: [
      { name: 'files', independent: true, run: () => logLine(dir, 'blueprint files') },
      { name: 'start', run: () => logLine(dir, 'blueprint start') },
    ] },
  ];
  const inventoryText = '[ctl]\nh1\n[bp]\nh2\n';

  for (const forks of [1, 25]) {
    it(`runs a play's independent steps while the group it needs is still busy, the rest after it (--forks ${forks})`, async () => {
      const dir = tempDir('overlap');
      const report = await run('apply', plays(dir, false, forks), dir, inventoryText, forks);
      assert.deepEqual(report.recap.map((r) => r.failed), [0, 0]);
      const order = readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');
      assert.deepEqual(order, forks === 1 ? ['controller done', 'blueprint files', 'blueprint start'] : ['blueprint files', 'controller done', 'blueprint start']);
    });
  }

  it('stops a play before its first step that needs a group which failed', async () => {
    const dir = tempDir('overlap');
    const report = await run('apply', plays(dir, true), dir, inventoryText, 25);
    const bp = report.recap.find((r) => r.host === 'h2')!;
    assert.match(bp.reason!, /not run: needs ctl h1, which failed/);
    assert.deepEqual(readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n'), ['blueprint files', 'controller done']);
  });
});

describe('rolling steps and --serial', () => {
  const inventoryText = '[bp]\nh1\nh2\nh3\n';
  /**
   * A step that logs when it starts and ends on a host, so overlaps show. It stays until
   * `meet` hosts have started it (at most 10 s), so hosts allowed to overlap always do, however
   * slow the machine; hosts kept apart wait the 10 s out and show no overlap. Each then stays
   * 0.3 s more, so hosts let through together by mistake would show.
   */
  const logged = (dir: string, what: string, meet: number, fail = '') => (h: HostContext) =>
    ops.command({ summary: what, argv: ['sh', '-c', 'echo "start $3 $2" >> "$1"; i=0; until [ "$(grep -c "^start $3 " "$1")" -ge "$4" ] || [ $i -ge 100 ]; do sleep 0.1; i=$((i+1)); done; sleep 0.3; echo "end $3 $2" >> "$1"; [ "$2" != "$5" ]', 'sh', join(dir, 'order.log'), h.name, what, String(meet), fail] });
  const rollingPlay = (dir: string, options: { fail?: string; serving?: boolean; meet?: number; filesMeet?: number } = {}): Play[] => [{
    name: 'bp',
    hosts: 'bp',
    ...(options.serving !== undefined ? { serving: () => fact('serving', ['sh', '-c', options.serving ? 'true' : 'false'], (r) => r.code === 0) } : {}),
    steps: [
      { name: 'files', run: logged(dir, 'files', options.filesMeet ?? 3) },
      { name: 'restart', rolling: true, run: logged(dir, 'restart', options.meet ?? 1, options.fail ?? '') },
    ],
  }];
  /** the most hosts in a step at once, from the log */
  const most = (dir: string, what: string) => {
    let now = 0;
    let max = 0;
    for (const line of readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n')) {
      if (line.startsWith(`start ${what}`)) max = Math.max(max, ++now);
      if (line.startsWith(`end ${what}`)) now--;
    }
    return max;
  };

  it('rolling steps take turns, one host at a time by default, in inventory order; the steps before them do not', async () => {
    const dir = tempDir('roll');
    const report = await run('apply', rollingPlay(dir), dir, inventoryText, 25);
    assert.deepEqual(report.recap.map((r) => r.failed), [0, 0, 0]);
    assert.equal(most(dir, 'restart'), 1);
    assert.equal(most(dir, 'files'), 3);
    const turns = readFileSync(join(dir, 'order.log'), 'utf8').split('\n').filter((l) => l.startsWith('start restart')).map((l) => l.split(' ')[2]);
    assert.deepEqual(turns, ['h1', 'h2', 'h3'], 'turns in inventory order');
  });

  it('--serial 2 lets two at once; --serial 100% all', async () => {
    const two = tempDir('roll');
    await run('apply', rollingPlay(two, { meet: 2, filesMeet: 2 }), two, inventoryText, 25, { count: 2 });
    assert.equal(most(two, 'restart'), 2);
    const all = tempDir('roll');
    await run('apply', rollingPlay(all, { meet: 3 }), all, inventoryText, 25, { percent: 100 });
    assert.equal(most(all, 'restart'), 3);
  });

  it('a host that fails in its turn stops the turns after it; the others are not touched', async () => {
    const dir = tempDir('roll');
    const report = await run('apply', rollingPlay(dir, { fail: 'h1' }), dir, inventoryText, 25);
    const reasons = Object.fromEntries(report.recap.map((r) => [r.host, r.reason ?? '']));
    assert.match(reasons.h1!, /restart/);
    assert.match(reasons.h2!, /not run: h1 failed in its turn/);
    assert.match(reasons.h3!, /not run: h1 failed in its turn/);
    assert.ok(!readFileSync(join(dir, 'order.log'), 'utf8').includes('start restart h2'));
  });

  it('hosts that do not serve yet need no turn', async () => {
    const dir = tempDir('roll');
    await run('apply', rollingPlay(dir, { serving: false, meet: 3 }), dir, inventoryText, 25);
    assert.equal(most(dir, 'restart'), 3);
  });
});

describe('hosts a run leaves out (--limit, --role) that a stopped run left out of service', () => {
  const marked = (dir: string, host: string) => join(dir, `${host}.out`);
  const play = (dir: string): Play[] => [{
    name: 'bp',
    hosts: 'bp',
    drain: {
      out: 'drain: out',
      back: 'undrain: back',
      take: () => ({ title: 'out', plan: async () => [] }),
      restore: () => ({ title: 'back', plan: async () => [] }),
      leftOut: async (_from, node) => existsSync(marked(dir, node.name)) ? { reason: 'out of the load balancer on lb', remedy: `st2prov apply --limit ${node.name} puts it back` } : undefined,
    },
    steps: [{ name: 'upgrade', rolling: true, run: (h) => ops.command({ summary: 'upgrade', argv: ['sh', '-c', 'echo "$2" >> "$1"', 'sh', join(dir, 'order.log'), h.name] }) }],
  }];

  it('are named, with the remedy, by diff and by apply, and left as they are', async () => {
    const dir = tempDir('left-out');
    writeFileSync(marked(dir, 'h2'), '');
    for (const mode of ['diff', 'apply'] as const) {
      const report = await run(mode, play(dir), dir, '[bp]\nh1\nh2\nh3\n', 25, undefined, undefined, ['h1']);
      assert.deepEqual(report.recap.map((r) => r.host), ['h1'], mode);
      assert.deepEqual(report.warnings, [{ host: 'h2', reason: 'out of the load balancer on lb; this run leaves it out (--limit, --role)', remedy: 'st2prov apply --limit h2 puts it back' }], mode);
    }
    assert.deepEqual(readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n'), ['h1'], 'only the selected host was worked on');
    assert.ok(existsSync(marked(dir, 'h2')), 'the host left out is not touched');
  });

  it('none when every host the run leaves out serves, or when the run selects every host', async () => {
    const dir = tempDir('left-out');
    assert.equal((await run('diff', play(dir), dir, '[bp]\nh1\nh2\n', 25, undefined, undefined, ['h1'])).warnings, undefined);
    writeFileSync(marked(dir, 'h2'), '');
    assert.equal((await run('diff', play(dir), dir, '[bp]\nh1\nh2\n', 25)).warnings, undefined, 'a selected host goes back in its turn instead');
  });
});

describe('what a play reads before its first step', () => {
  it('whether the host serves is read in the one probe of the play’s facts, not in a round trip of its own', async () => {
    const dir = tempDir('serving');
    const commands: string[] = [];
    const seen: boolean[] = [];
    const plays: Play[] = [{
      name: 'bp',
      hosts: 'bp',
      serving: () => fact('serving', ['sh', '-c', 'echo serving'], (r) => r.stdout.trim() === 'serving'),
      steps: [
        { name: 'read', run: () => ({ title: 'read', facts: () => [fact('config', ['echo', 'config'], (r) => r.stdout.trim())], plan: async (h) => (seen.push((await h.fact(fact('config', ['echo', 'config'], (r) => r.stdout.trim()))) === 'config'), []) }) },
        { name: 'restart', rolling: true, run: () => ({ title: 'restart', plan: async () => [] }) },
      ],
    }];
    const report = await run('apply', plays, dir, '[bp]\nh1\n', 25, undefined, commands);
    assert.deepEqual(report.recap.map((r) => r.failed), [0], JSON.stringify(report.results.map((r) => r.reason)));
    assert.deepEqual(seen, [true]);
    assert.equal(commands.length, 1, `one probe: ${JSON.stringify(commands)}`);
    assert.match(commands[0]!, /echo serving/);
  });
});

describe('operations on other hosts', () => {
  it('a step of one host plans and acts on another, shown as "on HOST"', async () => {
    const dir = tempDir('delegate');
    const plays: Play[] = [{
      name: 'bp',
      hosts: 'bp',
      steps: [{ name: 'drain', run: (h) => ops.onHosts('mark', h.cluster.members('lb'), (on) => ops.file({ path: join(dir, `${on.name}-drains-${h.name}`), content: 'down\n' })) }],
    }];
    const report = await run('apply', plays, dir, '[lb]\nh1\n[bp]\nh2\n', 25);
    const step = report.results.find((r) => r.host === 'h2')!;
    assert.equal(step.status, 'changed', step.reason);
    assert.match(step.changes[0]!.summary, /^on h1: create .*h1-drains-h2/);
    assert.equal(readFileSync(join(dir, 'h1-drains-h2'), 'utf8'), 'down\n');
  });
});

describe('plays that start together, and plays that do not belong', () => {
  const logLine = (dir: string, line: string) => ops.command({ summary: line, argv: ['sh', '-c', 'echo "$2" >> "$1"', 'sh', join(dir, 'order.log'), line] });
  const inventoryText = '[tier]\nh1\nh2\nh3\n';
  /** h1 is slow in the first play: a play that starts together waits for it on every host */
  const plays = (dir: string, together: boolean): Play[] => [
    { name: 'each', hosts: 'tier', steps: [
      { name: 'own services', run: (h) => ops.command({ summary: 'own', argv: ['sh', '-c', '[ "$2" != h1 ] || sleep 1; echo "$2 ready" >> "$1"', 'sh', join(dir, 'order.log'), h.name] }) },
    ] },
    { name: 'join', hosts: 'tier', ...(together ? { together: true } : {}), steps: [
      { name: 'join the others', run: (h) => logLine(dir, `${h.name} joins`) },
    ] },
  ];

  it('a host starts a "together" play only once every host of it is done with the plays before', async () => {
    const dir = tempDir('together');
    const report = await run('apply', plays(dir, true), dir, inventoryText, 25);
    assert.deepEqual(report.recap.map((r) => r.failed), [0, 0, 0]);
    const order = readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');
    assert.equal(order.indexOf('h1 ready'), 2, order.join(', '));
    assert.deepEqual(order.slice(3).sort(), ['h1 joins', 'h2 joins', 'h3 joins']);
  });

  it('without it the hosts go on at their own pace (the overlap is the default)', async () => {
    const dir = tempDir('together');
    await run('apply', plays(dir, false), dir, inventoryText, 25);
    const order = readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n');
    assert.ok(order.indexOf('h2 joins') < order.indexOf('h1 ready'), order.join(', '));
  });

  it('does not wait for a host with one fork: the hosts run one after another anyway', async () => {
    const dir = tempDir('together');
    const report = await run('apply', plays(dir, true), dir, inventoryText, 1);
    assert.deepEqual(report.recap.map((r) => r.failed), [0, 0, 0], JSON.stringify(report.results.map((r) => r.reason)));
    assert.equal(readFileSync(join(dir, 'order.log'), 'utf8').trim().split('\n').length, 6);
  });

  it('leaves out a play whose "when" says it does not belong to this cluster', async () => {
    const dir = tempDir('together');
    const report = await run('apply', [{ ...plays(dir, false)[1]!, when: () => false }], dir, inventoryText, 25);
    assert.deepEqual(report.results, []);
    assert.ok(!existsSync(join(dir, 'order.log')));
  });
});

describe('checks across hosts', () => {
  it('a probe of the cluster ("once") is asked of one host after another until one answers, and every host reads that answer', async () => {
    const dir = tempDir('once');
    const asked: string[] = [];
    const seenBy: Record<string, unknown> = {};
    const plays: Play[] = [{
      name: 'tier',
      hosts: 'tier',
      steps: [],
      cluster: [{
        title: 'the cluster as one host tells it',
        facts: () => [],
        probes: () => [{
          key: 'members',
          once: true,
          read: async (h: HostContext) => {
            asked.push(h.name);
            if (h.name === 'h1') throw new Error('h1 has no answer');
            return `members as ${h.name} sees them`;
          },
        }],
        verify(hosts) {
          for (const h of hosts) seenBy[h.name] = h.get({ key: 'members', read: async () => '' });
          return [{ check: 'read', ok: true }];
        },
      }],
    }];
    const report = await run('diff', plays, dir, '[tier]\nh1\nh2\nh3\n', 25);
    assert.deepEqual(report.results.filter((r) => r.host === 'cluster').map((r) => r.status), ['ok']);
    assert.deepEqual(asked, ['h1', 'h2']);
    assert.deepEqual(seenBy, { h1: 'members as h2 sees them', h2: 'members as h2 sees them', h3: 'members as h2 sees them' });
  });
});
