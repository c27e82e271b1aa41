import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterHost, ClusterView, Vault } from '../../../src/core/context.js';
import { derivedFact, fact, knownFact, type Fact } from '../../../src/core/fact.js';
import { EngineHost } from '../../../src/engine/engineHost.js';
import { factReads } from '../../../src/engine/factFamilies.js';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { countingExecutor } from '../../harness/countingExecutor.js';
import { installedPackages } from '../../../src/facts/packages.js';
import { serviceStates } from '../../../src/facts/services.js';

const host = { name: 'h', settings: {} } as unknown as ClusterHost;
const none = {} as Vault;
const cluster = {} as ClusterView;
const occurrences = (text: string, part: string) => text.split(part).length - 1;

describe('fact families', () => {
  it('facts of one family become one read over all their names, in the order first asked; others stay as they are', () => {
    const plain = fact('plain', ['true'], () => 1);
    const reads = factReads([serviceStates(['a', 'b']), plain, installedPackages(['p']), serviceStates(['b', 'c']), installedPackages(['q', 'p'])]);
    assert.deepEqual(
      reads.map((r) => [r.fact.key, r.members.length, r.names]),
      [
        ['plain', 1, undefined],
        ['services:a,b,c', 2, ['a', 'b', 'c']],
        ['dpkg:p,q', 2, ['p', 'q']],
      ],
    );
  });

  it('a family asked once is read as it is', () => {
    const reads = factReads([serviceStates(['a'])]);
    assert.deepEqual(reads.map((r) => [r.fact.key, r.names]), [['services:a', undefined]]);
  });

  it('a host reads its units with one probe and its packages with one dpkg-query, and each fact gets what it would have read alone', async () => {
    const asked: Fact<unknown>[] = [serviceStates(['cron', 'ssh']), serviceStates(['no-such-unit', 'cron']), installedPackages(['bash', 'no-such-package']), installedPackages(['coreutils', 'bash'])];
    const together = countingExecutor();
    const ctx = new EngineHost(host, together, none, cluster);
    await ctx.prefetch(asked);
    assert.equal(together.commands.length, 1, 'one batch');
    assert.equal(occurrences(together.commands[0]!, 'echo init=sysvinit'), 1, 'one service probe in the batch');
    assert.equal(occurrences(together.commands[0]!, 'dpkg-query'), 1, 'one dpkg-query in the batch');

    for (const f of asked) {
      const alone = new EngineHost(host, countingExecutor(), none, cluster);
      assert.deepEqual(await ctx.fact(f), await alone.fact(f), f.key);
    }
    const packages = await ctx.fact(installedPackages(['bash', 'no-such-package']));
    assert.deepEqual([...packages.keys()], ['bash'], 'a member keeps only its own names');
    assert.equal(together.commands.length, 1, 'every fact was answered by the one batch');
  });

  it('a derived fact is worked out from its base: read with it in one probe, or answered by an earlier one, never read on its own', async () => {
    const bashInstalled = derivedFact('bash-installed', installedPackages(['bash']), (m) => m.has('bash'));
    const ours = new EngineHost(host, countingExecutor(), none, cluster);
    const asAlone = bashInstalled.parse(await localExecutor.exec({ argv: installedPackages(['bash']).argv }));
    assert.equal(await ours.fact(bashInstalled), asAlone, 'the same value as its own read would give');

    const executor = countingExecutor();
    const ctx = new EngineHost(host, executor, none, cluster);
    await ctx.prefetch([installedPackages(['bash']), installedPackages(['coreutils']), serviceStates(['cron'])]);
    assert.equal(executor.commands.length, 1);
    await ctx.prefetch([bashInstalled, installedPackages(['coreutils'])]);
    assert.equal(await ctx.fact(bashInstalled), true);
    assert.equal(executor.commands.length, 1, 'answered by the packages read before: no second round trip');

    const fresh = countingExecutor();
    const other = new EngineHost(host, fresh, none, cluster);
    await other.prefetch([bashInstalled, serviceStates(['cron'])]);
    assert.equal(fresh.commands.length, 1, 'its base joins the probe it is asked in');
    assert.equal(occurrences(fresh.commands[0]!, 'dpkg-query'), 1);
  });

  it('a fact known without asking (no names to read) makes no round trip', async () => {
    const executor = countingExecutor();
    const ctx = new EngineHost(host, executor, none, cluster);
    await ctx.prefetch([serviceStates([]), knownFact('k', 7)]);
    assert.deepEqual(await ctx.fact(serviceStates([])), []);
    assert.equal(await ctx.fact(knownFact('k', 7)), 7);
    assert.equal(executor.commands.length, 0);
  });
});

describe('facts read while another step changes the host', () => {
  it('a fact answers what its read returned even if a change emptied the host\'s facts meanwhile, and that stale read is not kept', async () => {
    const counting = countingExecutor();
    let ctx!: EngineHost;
    let changeDuringRead = true;
    const executor = {
      ...counting,
      exec: async (r: Parameters<typeof counting.exec>[0]) => {
        const result = await counting.exec(r);
        // another host's step applies a change here while this read is on the wire
        if (changeDuringRead) ctx.forget();
        return result;
      },
    };
    ctx = new EngineHost(host, executor, none, cluster);
    assert.deepEqual(await ctx.fact(serviceStates(['cron', 'ssh'])).then((s) => s.length), 2, 'a value, never undefined');
    assert.equal((await ctx.fact(knownFact('x', 1))), 1);
    changeDuringRead = false;
    await ctx.fact(serviceStates(['cron', 'ssh']));
    assert.equal(counting.commands.length, 2, 'read again: what was read across a change is not kept');
    await ctx.fact(serviceStates(['cron', 'ssh']));
    assert.equal(counting.commands.length, 2, 'kept once read with no change meanwhile');
  });
});
