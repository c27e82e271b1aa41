import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { parseServiceStates, serviceStates } from '../../../src/facts/services.js';
import { GRACEFUL_STOP_DROP_IN, gracefulStopUnits } from '../../../src/stackstorm/gracefulStop.js';
import { st2Features } from '../../../src/stackstorm/versions.js';

/** What `systemctl show` prints for one unit, as the service probe frames it. */
const block = (fields: Record<string, string>, unitFileState: string) =>
  Object.entries({ LoadState: 'loaded', ActiveState: 'inactive', NeedDaemonReload: 'no', CanReload: 'no', UnitFileState: unitFileState, ...fields }).map(([k, v]) => `${k}=${v}`).join('\n');
const parseServiceState = (probe: string) => parseServiceStates(['x'], probe)[0]!;
const systemd = (fields: Record<string, string>, unitFileState: string) => `init=systemd\n${block(fields, unitFileState)}\n`;

describe('service state from the probe', () => {
  it('a running, enabled unit that can reload', () => {
    const s = parseServiceState(systemd({ ActiveState: 'active', SubState: 'running', CanReload: 'yes' }, 'enabled'));
    assert.deepEqual(s, { known: true, init: 'systemd', running: true, enabled: true, masked: false, failed: false, needsDaemonReload: false, canReload: true, enablement: 'enabled' });
  });

  it('a failed unit whose file changed on disk is neither running nor up to date', () => {
    const s = parseServiceState(systemd({ ActiveState: 'failed', SubState: 'failed', NeedDaemonReload: 'yes' }, 'disabled'));
    assert.equal(s.running, false);
    assert.equal(s.failed, true);
    assert.equal(s.needsDaemonReload, true);
    assert.equal(s.enabled, false);
  });

  it('a unit restarting after a crash ("activating (auto-restart)") is not running', () => {
    assert.equal(parseServiceState(systemd({ ActiveState: 'activating', SubState: 'auto-restart' }, 'enabled')).running, false);
  });

  it('masked: known, not enabled, and said so', () => {
    const s = parseServiceState(systemd({ LoadState: 'masked' }, 'masked'));
    assert.equal(s.known, true);
    assert.equal(s.masked, true);
    assert.equal(s.enabled, false);
  });

  it('static and generated units count as enabled: systemctl cannot switch them', () => {
    assert.equal(parseServiceState(systemd({}, 'static')).enabled, true);
    assert.equal(parseServiceState(systemd({}, 'generated')).enabled, true);
  });

  it('not found: unknown (its package is not installed); a unit that does not load says why', () => {
    assert.equal(parseServiceState(systemd({ LoadState: 'not-found' }, '')).known, false);
    assert.equal(parseServiceState(systemd({ LoadState: 'bad-setting' }, 'enabled')).loadProblem, 'bad-setting');
  });

  it('several units from one systemctl show, in order; an init script systemd wraps asks is-enabled', () => {
    const probe = `init=systemd\n${block({ ActiveState: 'active' }, 'enabled')}\n\n${block({ LoadState: 'not-found' }, '')}\n\n${block({}, '')}\n@@enabled legacy enabled\n`;
    const [a, b, c] = parseServiceStates(['a', 'b', 'legacy'], probe);
    assert.equal(a!.running, true);
    assert.equal(b!.known, false);
    assert.equal(c!.enabled, true);
    assert.equal(c!.enablement, 'enabled');
    assert.throws(() => parseServiceStates(['a', 'b'], `init=systemd\n${block({}, 'enabled')}\n`), /expected 2 unit\(s\), got 1/);
  });

  it('the probe itself succeeds for services not installed yet (their steps are pending, not failed)', () => {
    const f = serviceStates(['st2prov-no-such-service', 'st2prov-nor-this-one']);
    const r = spawnSync(f.argv[0]!, f.argv.slice(1), { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(f.parse({ code: r.status, stdout: r.stdout, stderr: r.stderr }).map((s) => s.known), [false, false]);
  });

  it('sysvinit: an init script, running by its pidfile, enabled by its rc2.d link', () => {
    const s = parseServiceState('init=sysvinit\n\nLoadState=loaded\nActiveState=active\nUnitFileState=enabled\nCanReload=yes\n');
    assert.deepEqual(s, { known: true, init: 'sysvinit', running: true, enabled: true, masked: false, failed: false, needsDaemonReload: false, canReload: true, enablement: 'enabled' });
  });
});

describe('st2’s graceful stop', () => {
  it('gives the action runners (and the workflow engine from 3.6) more than the 300 s st2 waits', () => {
    assert.deepEqual(gracefulStopUnits(st2Features('2.10.4')), ['st2actionrunner.service', 'st2actionrunner@.service']);
    assert.deepEqual(gracefulStopUnits(st2Features('3.8.1')), ['st2actionrunner.service', 'st2actionrunner@.service', 'st2workflowengine.service']);
    const seconds = Number(/^TimeoutStopSec=(\d+)$/m.exec(GRACEFUL_STOP_DROP_IN)?.[1]);
    assert.ok(seconds > 300, `${seconds} s`);
    assert.match(GRACEFUL_STOP_DROP_IN, /^\[Service\]$/m);
  });
});
