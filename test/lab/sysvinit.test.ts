import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { changeLines, failures, st2prov } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';

/**
 * The one whole cluster on hosts without systemd (tini as PID 1, sysvinit scripts): the
 * guide's 2.x layout with Mistral and PostgreSQL, so the init-script path of every service
 * st2prov drives stays proven.
 */
const VARS = ['-e', 'st2_version=2.10.4'];

describe('site playbook on sysvinit hosts (1 controller + 1 blueprint)', () => {
  const lab = useLab(1, { init: 'sysvinit' });

  it('the hosts run no systemd: tini is PID 1, services are init scripts', () => {
    for (const h of lab().hosts) {
      const r = ssh(lab(), h.address, 'cat /proc/1/comm; test -d /run/systemd/system && echo systemd-running || echo no-systemd');
      assert.equal(r.stdout, 'tini\nno-systemd\n', `${h.name}: ${r.stdout}${r.stderr}`);
    }
  });

  it('converges the cluster, then a second apply changes and restarts nothing', async () => {
    const r = await st2prov(['apply', lab().inventory, ...VARS, '--json']);
    assert.equal(r.code, 0, failures(r));
    assert.ok(!r.json.hosts.some((h) => h.steps.some((s) => s.changes.some((c) => c.kind === 'systemd'))), 'no systemd drop-in on a sysvinit host');
    const again = await st2prov(['apply', lab().inventory, ...VARS, '--json']);
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
  });

  it('check passes, and the services run from their init scripts (pidfiles), enabled by rc links', async () => {
    const check = await st2prov(['check', lab().inventory, ...VARS]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const bp = lab().hosts[1]!;
    const r = ssh(lab(), bp.address, 'for s in st2api mistral-api; do start-stop-daemon --status --pidfile /run/$s.pid && echo $s; done; ls /etc/rc2.d | grep -c -E "^S[0-9]+(st2api|mistral-api)$"');
    assert.equal(r.stdout, 'st2api\nmistral-api\n2\n', r.stderr);
  });

  it('a service that dies right after its init script started it fails the apply, with its log', async () => {
    const bp = lab().hosts[1]!;
    // st2stream's address is taken: its daemon exits at once, though start-stop-daemon said "started"
    const block = ssh(lab(), bp.address, 'service st2stream stop >/dev/null; python3 -m http.server --bind 127.0.0.1 9102 </dev/null >/dev/null 2>&1 & echo $! > /run/st2lab-blocker.pid; sleep 0.5; echo blocked');
    assert.equal(block.stdout, 'blocked\n', block.stderr);
    try {
      const r = await st2prov(['apply', lab().inventory, ...VARS, '--json', '--limit', bp.name]);
      assert.equal(r.code, 2, failures(r));
      const failed = r.json.hosts[0]!.steps.find((s) => s.status === 'failed');
      assert.match(failed!.reason!, /^st2stream: did not stay up: it is not running after its init script returned\n  tail -n 20 \/var\/log\/st2\/st2stream\.log:\n/);
      assert.match(failed!.reason!, /st2stream: cannot listen on 127\.0\.0\.1:9102: Address already in use/);
    } finally {
      ssh(lab(), bp.address, 'kill "$(cat /run/st2lab-blocker.pid)"');
    }
    const r = await st2prov(['apply', lab().inventory, ...VARS, '--json', '--limit', bp.name]);
    assert.equal(r.code, 0, failures(r));
  });
});
