import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClusterHost, ClusterView, HostContext } from '../../../src/core/context.js';
import type { Fact } from '../../../src/core/fact.js';
import { componentsButSingletons, singletonServices, singletonsOf, versionChangesSupported } from '../../../src/stackstorm/rolling.js';
import { st2Features } from '../../../src/stackstorm/versions.js';
import { BLUEPRINTS, clusterOf } from '../../harness/clusters.js';

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
});
