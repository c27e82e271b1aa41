import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterHost, ClusterView, HostContext } from '../../../src/core/context.js';
import type { Fact } from '../../../src/core/fact.js';
import { blueprintDrain, componentsButSingletons, singletonServices, singletonsOf, versionChangesSupported } from '../../../src/stackstorm/rolling.js';
import { memberLine } from '../../../src/stackstorm/loadBalancer.js';
import { st2Features } from '../../../src/stackstorm/versions.js';
import { BLUEPRINTS, TIER, clusterOf } from '../../harness/clusters.js';

/** A host context that answers facts from a table (what dpkg says st2 is), no host behind it. */
function fakeHost(cluster: ClusterView, host: ClusterHost, installed: Record<string, string | undefined | 'unreachable'>): HostContext {
  const ctx = {
    name: host.name,
    host,
    settings: host.settings,
    cluster,
    async on(other: ClusterHost) {
      if (installed[other.name] === 'unreachable') throw new Error(`${other.name} is unreachable`);
      return fakeHost(cluster, other, installed);
    },
    async fact<T>(f: Fact<T>): Promise<T> {
      assert.match(f.key, /^dpkg:st2$/, `only dpkg is read here, not ${f.key}`);
      const v = installed[host.name];
      return new Map(v && v !== 'unreachable' ? [['st2', `${v}-1`]] : []) as T;
    },
  };
  return ctx as unknown as HostContext;
}

describe('rolling operations on the blueprints', () => {
  const cluster = (version: string) => clusterOf(BLUEPRINTS(3, `st2_version=${version}`));
  const local = (c: ClusterView, installed: Record<string, string | undefined | 'unreachable'>) =>
    fakeHost(c, { name: 'localhost', role: undefined, groups: [], address: '127.0.0.1', settings: c.settings, vars: {}, origins: {} }, installed);

  it('the version gate refuses the Mistral era to 3.3+, naming each blueprint, before any host is changed', async () => {
    const c = cluster('3.8.1');
    await assert.rejects(versionChangesSupported().plan(local(c, { b1: '2.10.4', b2: '2.10.4', b3: undefined })), (err: Error) => {
      assert.match(err.message, /^refused before any host was changed: b1: st2 2\.10\.4 runs Mistral workflows and 3\.8\.1 has no Mistral.*; b2: /);
      assert.match(err.message, /orquestaconvert/);
      return true;
    });
  });

  it('lets an upgrade through, and does not count fresh or unreachable blueprints', async () => {
    const c = cluster('3.9.0');
    assert.deepEqual(await versionChangesSupported().plan(local(c, { b1: '3.4.1', b2: 'unreachable', b3: undefined })), []);
  });

  it('the singletons are the timers engine (from 2.9) and the garbage collector, on their node only', () => {
    assert.deepEqual(singletonServices(st2Features('3.8.1')), ['st2timersengine', 'st2garbagecollector']);
    assert.deepEqual(singletonServices(st2Features('2.8.1')), ['st2garbagecollector'], 'before 2.9 timers live in every rules engine');
    const c = cluster('3.8.1');
    const [b1, b2] = c.members('blueprint');
    assert.deepEqual(singletonsOf(fakeHost(c, b1!, {})), ['st2timersengine', 'st2garbagecollector']);
    assert.deepEqual(singletonsOf(fakeHost(c, b2!, {})), []);
    const others = componentsButSingletons(fakeHost(c, b1!, {}));
    assert.ok(others.includes('st2api') && !others.includes('st2timersengine') && !others.includes('st2garbagecollector'), others.join(' '));
  });

  it('a blueprint out of the load balancer on any controller is left out: which controllers, and the remedy; read from the control machine', async () => {
    const c = clusterOf(TIER(2));
    const [b1, b2] = c.members('blueprint');
    const drainedOn = new Set(['c1', 'c3']);
    const controller = (name: string) => ({
      name,
      prefetch: async () => undefined,
      async fact<T>(f: Fact<T>): Promise<T> {
        const path = f.family?.names[0] ?? '';
        assert.match(path, /^\/etc\/nginx\/st2-upstream\.d\/b\d\.conf$/, `only member files are read, not ${f.key}`);
        const node = path.endsWith('b1.conf') ? b1! : b2!;
        return { exists: true, mode: 0o644, owner: 'root', group: 'root', content: memberLine(node, node === b1 && drainedOn.has(name)) } as T;
      },
    });
    const local = { name: 'localhost', cluster: c, on: async (h: ClusterHost) => controller(h.name) } as unknown as HostContext;
    assert.deepEqual(await blueprintDrain.leftOut(local, b1!), {
      reason: 'out of the load balancer on c1, c3, drained for a turn that did not end (a run stopped or failed there)',
      remedy: 'st2prov apply --limit b1 (or st2prov restart --limit b1) puts it back in its turn',
    });
    assert.equal(await blueprintDrain.leftOut(local, b2!), undefined);
  });
});
