import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeLines, failures, st2prov, type JsonReport } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import type { Lab } from '../lab/lab.js';

/**
 * st2prov on systemd hosts: units started and checked, failures reported with the journal,
 * masked units refused, drop-ins and changed unit files re-read, and enablement that holds
 * across a reboot. StackStorm 3.x on 1 controller + 2 blueprints.
 */
const VARS = ['-e', 'st2_version=3.8.1'];
const SERVICES_STEP = 'st2 services: this node’s run, the others stay off';

function hostReport(r: JsonReport, host: string) {
  const h = r.hosts.find((x) => x.host === host);
  assert.ok(h, `${host} in the report`);
  return h;
}

/** When the host's systemd started (clock ticks since this machine booted): a reboot changes it. */
const BOOTED = "cut -d' ' -f22 /proc/1/stat";

async function waitForReboot(lab: Lab, address: string, bootedBefore: string, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const r = ssh(lab, address, `${BOOTED}; systemctl is-system-running --wait`);
    const [booted, status] = r.stdout.trim().split('\n');
    if (booted && booted !== bootedBefore && status) return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(`${address} did not come back within ${timeoutMs / 1000} s`);
}

describe('services on systemd hosts', () => {
  const lab = useLab(2);
  const apply = (...args: string[]) => st2prov(['apply', lab().inventory, ...VARS, '--json', ...args]);
  const bp = (i: number) => lab().hosts[i]!;

  it('a unit that does not stay up fails its host, with its journal; the other hosts finish', async () => {
    // something else already holds st2api's address on the second blueprint
    const blocker = ssh(lab(), bp(2).address, 'systemd-run --unit=st2lab-blocker python3 -m http.server --bind 127.0.0.1 9101 && sleep 0.5 && systemctl is-active st2lab-blocker');
    assert.equal(blocker.stdout.trim(), 'active', blocker.stderr);
    const r = await apply();
    assert.equal(r.code, 2, failures(r));
    for (const ok of ['st2-multi-node-cntl', 'st2-multi-node-1']) assert.equal(hostReport(r.json, ok).failed, 0, `${ok} finished: ${failures(r)}`);
    const failed = hostReport(r.json, 'st2-multi-node-2').steps.find((s) => s.status === 'failed');
    assert.equal(failed?.step, SERVICES_STEP);
    assert.match(failed!.reason!, /^st2api: did not stay up: it exited \(result: exit-code\) and systemd will try again\n/);
    assert.match(failed!.reason!, /journalctl -u st2api -n 20 --no-pager:\n/);
    assert.match(failed!.reason!, /st2api: cannot listen on 127\.0\.0\.1:9101: Address already in use/);
    assert.match(r.stdout, /st2-multi-node-2/);
  });

  it('with the cause gone, the next apply runs the handlers the failed one owed, and st2api answers', async () => {
    // (systemd itself may have started st2api again by then: Restart=on-failure)
    assert.equal(ssh(lab(), bp(2).address, 'systemctl stop st2lab-blocker').code, 0);
    const r = await apply();
    assert.equal(r.code, 0, failures(r));
    const steps = hostReport(r.json, 'st2-multi-node-2').steps.filter((s) => s.changes.length).map((s) => s.step);
    assert.ok(steps.includes('handler: restart st2'), `the restart owed by the failed run: ${steps.join(', ')}`);
    const answer = ssh(lab(), bp(2).address, 'python3 -c "import urllib.request as u; print(u.urlopen(\'http://127.0.0.1:9101/v1/actions\').read().decode())"');
    assert.match(answer.stdout, /"host": "st2-multi-node-2"/, answer.stderr);
  });

  it('every host runs with no failed unit; a second apply changes and restarts nothing', async () => {
    for (const h of lab().hosts) {
      const r = ssh(lab(), h.address, 'systemctl is-system-running; systemctl --failed --no-legend --plain');
      assert.equal(r.stdout, 'running\n', `${h.name}: ${r.stdout}`);
    }
    const again = await apply();
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
  });

  it('each node runs its components and has the others off and disabled', () => {
    const state = (i: number, unit: string) => ssh(lab(), bp(i).address, `systemctl is-active ${unit}; systemctl is-enabled ${unit}`).stdout.trim().split('\n');
    assert.deepEqual(state(1, 'st2timersengine'), ['active', 'enabled']);
    assert.deepEqual(state(2, 'st2timersengine'), ['inactive', 'disabled']);
    assert.deepEqual(state(2, 'st2garbagecollector'), ['inactive', 'disabled']);
    assert.deepEqual(state(2, 'st2api'), ['active', 'enabled']);
    const workers = ssh(lab(), bp(2).address, 'systemctl is-active st2actionrunner st2actionrunner@1 st2actionrunner@2');
    assert.equal(workers.stdout, 'active\nactive\nactive\n');
  });

  it('st2 gets its graceful-shutdown wait from a drop-in; one edited by hand is put back and re-read', async () => {
    const timeout = () => ssh(lab(), bp(1).address, 'systemctl show -P TimeoutStopUSec st2actionrunner@1 st2actionrunner').stdout;
    assert.equal(timeout(), '5min 30s\n\n5min 30s\n');
    const dropIn = '/etc/systemd/system/st2actionrunner@.service.d/st2prov-graceful-stop.conf';
    assert.equal(ssh(lab(), bp(1).address, `sed -i s/TimeoutStopSec=330/TimeoutStopSec=20/ ${dropIn} && systemctl daemon-reload`).code, 0);
    const diff = await st2prov(['diff', lab().inventory, ...VARS, '--json', '--limit', 'st2-multi-node-1']);
    const change = diff.json.hosts[0]!.steps.flatMap((s) => s.changes).find((c) => c.kind === 'systemd');
    assert.ok(change, failures(diff));
    assert.match(change.diff!, /^-TimeoutStopSec=20\n\+TimeoutStopSec=330$/m);
    const r = await apply('--limit', 'st2-multi-node-1');
    assert.equal(r.code, 0, failures(r));
    assert.equal(timeout(), '5min 30s\n\n5min 30s\n');
  });

  it('a unit file changed on disk is re-read (daemon-reload) before anything else', async () => {
    const edit = ssh(lab(), bp(1).address, "sed -i 's/^TimeoutSec=60$/TimeoutSec=61/' /lib/systemd/system/st2rulesengine.service && systemctl show -P NeedDaemonReload st2rulesengine");
    assert.equal(edit.stdout, 'yes\n', edit.stderr);
    const r = await apply('--limit', 'st2-multi-node-1');
    assert.equal(r.code, 0, failures(r));
    assert.ok(changeLines(r.json).some((l) => l.endsWith('| daemon-reload (the unit files of st2rulesengine changed on disk)')), changeLines(r.json).join('\n'));
    assert.equal(ssh(lab(), bp(1).address, 'systemctl show -P NeedDaemonReload st2rulesengine').stdout, 'no\n');
  });

  it('a masked unit the node needs is a clear error that says how to unmask it; one it keeps off is fine', async () => {
    // the second blueprint runs no sensors (default partitioning): masked is as off as it gets
    assert.equal(ssh(lab(), bp(2).address, 'systemctl mask st2sensorcontainer').code, 0);
    const off = await apply('--limit', 'st2-multi-node-2');
    assert.equal(off.code, 0, failures(off));
    assert.deepEqual(changeLines(off.json), []);
    assert.equal(ssh(lab(), bp(2).address, 'systemctl stop st2rulesengine && systemctl mask st2rulesengine').code, 0);
    try {
      const r = await apply('--limit', 'st2-multi-node-2');
      assert.equal(r.code, 2);
      const failed = r.json.hosts[0]!.steps.find((s) => s.status === 'failed');
      assert.equal(failed?.step, SERVICES_STEP);
      assert.match(failed!.reason!, /^st2rulesengine: is masked on this host, so it can be neither started nor enabled; if that is not on purpose: systemctl unmask st2rulesengine$/);
    } finally {
      ssh(lab(), bp(2).address, 'systemctl unmask st2rulesengine st2sensorcontainer');
    }
    const r = await apply('--limit', 'st2-multi-node-2');
    assert.equal(r.code, 0, failures(r));
    assert.ok(changeLines(r.json).some((l) => l.endsWith('| start st2rulesengine')), changeLines(r.json).join('\n'));
  });

  it('after a reboot the node’s components come back by themselves, and only those', async () => {
    const before = ssh(lab(), bp(2).address, BOOTED).stdout.trim();
    ssh(lab(), bp(2).address, 'systemctl reboot');
    await waitForReboot(lab(), bp(2).address, before);
    const r = ssh(lab(), bp(2).address, 'systemctl is-system-running; systemctl is-active st2api st2actionrunner@1 st2timersengine');
    assert.equal(r.stdout, 'running\nactive\nactive\ninactive\n', r.stderr);
    const again = await apply('--limit', 'st2-multi-node-2');
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
  });
});
