import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import type { Fact } from '../../../src/core/fact.js';
import type { ServiceState } from '../../../src/facts/services.js';
import { services } from '../../../src/ops/service.js';

/** A host whose services are in these states (running or not); nothing is run on it. */
function hostWith(running: Record<string, boolean>): HostContext {
  const state = (up: boolean): ServiceState => ({ known: true, init: 'systemd', running: up, enabled: true, masked: false, failed: false, needsDaemonReload: false, canReload: true, enablement: 'enabled' });
  return {
    name: 'b1',
    fact: async <T>(f: Fact<T>) => {
      assert.match(f.key, /^services:/);
      return f.key.slice('services:'.length).split(',').map((n) => state(running[n]!)) as T;
    },
  } as unknown as HostContext;
}

const summaries = async (host: HostContext, scope?: { startedSinceNotice: ReadonlySet<string> }) =>
  (await services([{ name: 'st2api', state: 'restarted' }, { name: 'st2auth', state: 'restarted' }, { name: 'nginx', state: 'reloaded' }]).plan(host, scope)).map((c) => c.summary);

describe('a handler restarting services', () => {
  it('restarts or reloads every running service, and starts a stopped one', async () => {
    assert.deepEqual(await summaries(hostWith({ st2api: true, st2auth: false, nginx: true })), ['restart st2api', 'start st2auth', 'reload nginx']);
  });

  it('leaves out the services its play started after it was notified, running or (in a dry run) about to', async () => {
    assert.deepEqual(await summaries(hostWith({ st2api: true, st2auth: true, nginx: true }), { startedSinceNotice: new Set(['st2api', 'nginx']) }), ['restart st2auth']);
    assert.deepEqual(await summaries(hostWith({ st2api: false, st2auth: true, nginx: true }), { startedSinceNotice: new Set(['st2api']) }), ['restart st2auth', 'reload nginx']);
  });

  it('a start says which service it starts; a restart does not', async () => {
    const changes = await services([{ name: 'st2api', state: 'started' }, { name: 'st2auth', state: 'restarted' }]).plan(hostWith({ st2api: false, st2auth: true }));
    assert.deepEqual(changes.map((c) => [c.summary, c.starts]), [['start st2api', ['st2api']], ['restart st2auth', undefined]]);
  });
});
