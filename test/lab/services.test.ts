import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { changeLines, failures, st2prov as st2provCli, type CliRun, type JsonReport } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import type { Lab } from '../lab/lab.js';

/**
 * st2prov on systemd hosts: units started and checked, failures reported with the journal,
 * masked units refused, drop-ins and changed unit files re-read, and enablement that holds
 * across a reboot. StackStorm 3.x on 1 controller + 2 blueprints.
 */
// st2auth users beside st2admin: alice's password made by st2prov, bob's given (hostile) through the environment
const BOB_PW = `p"a's\\s $HOME \${x} :,\tü€ %41 \``;
const VARS = ['-e', 'st2_version=3.8.1', '-e', 'st2_auth_users=alice bob:env:ST2PROV_LAB_BOB_PW'];
// the LDAP bind password: what st2.conf's JSON-in-INI value must carry intact (oslo.config reads $$ as $)
const LDAP_PW = `ld"ap\\ $HOME $$ \${auth.host} ü {"x": 1}`;
const LDAP = ['-e', 'st2_auth_backend=ldap', '-e', 'st2_auth_ldap_host=ldap1.example.com,ldap2.example.com', '-e', 'st2_auth_ldap_bind_dn=CN=st2 bind,OU=svc,DC=example,DC=com',
  '-e', 'st2_auth_ldap_bind_password=env:ST2PROV_LAB_LDAP_PW', '-e', 'st2_auth_ldap_base_ou=OU=people,DC=example,DC=com', '-e', 'st2_auth_ldap_group_dns=CN=st2users,OU=groups,DC=example,DC=com'];
const outputs: CliRun[] = [];
const st2prov = async (args: string[]) => {
  const r = await st2provCli(args, { ST2PROV_LAB_BOB_PW: BOB_PW, ST2PROV_LAB_LDAP_PW: LDAP_PW });
  outputs.push(r);
  return r;
};

/** POST /auth/v1/tokens through the load balancer with HTTP Basic credentials, as the st2 client logs in. */
function login(address: string, user: string, password: string): Promise<{ status: number; host: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: address, port: 443, path: '/auth/v1/tokens', method: 'POST', rejectUnauthorized: false, timeout: 30_000,
      headers: { Authorization: `Basic ${Buffer.from(`${user}:${password}`, 'utf8').toString('base64')}`, 'Content-Length': 0 } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, host: (JSON.parse(body) as { host: string }).host }));
    });
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('no answer within 30 s')));
    req.end();
  });
}
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

  it('each st2auth user logs in through the load balancer, on every blueprint; a wrong password or an unknown user is refused; check compares the htpasswd', async () => {
    // (the apply before this one, with the same users, changed nothing)
    const kept = JSON.parse(readFileSync(join(dirname(lab().inventory), 'inventory.st2prov/secrets.json'), 'utf8')) as Record<string, string>;
    assert.equal(kept['st2_auth_users.bob'], undefined, 'a given password is not kept');
    const users: [string, string][] = [['st2admin', kept.st2_auth_password!], ['alice', kept['st2_auth_users.alice']!], ['bob', BOB_PW]];
    const lb = lab().hosts[0]!.address;
    for (const [user, password] of users) {
      const served = new Set<string>();
      for (let i = 0; i < 4; i++) {
        const r = await login(lb, user, password);
        assert.equal(r.status, 201, `${user} logs in`);
        served.add(r.host);
      }
      assert.deepEqual([...served].sort(), ['st2-multi-node-1', 'st2-multi-node-2'], `${user} logs in on every blueprint`);
      for (let i = 0; i < 2; i++) assert.equal((await login(lb, user, `${password}x`)).status, 401, `${user} with a wrong password`);
    }
    assert.equal((await login(lb, 'mallory', BOB_PW)).status, 401);
    const check = await st2prov(['check', lab().inventory, ...VARS]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /ok {3}cluster +the same htpasswd on every blueprint — alike on 2 blueprint\(s\)/);
    for (const out of outputs) {
      for (const secret of [BOB_PW, kept['st2_auth_users.alice']!]) assert.ok(!(out.stdout + out.stderr).includes(secret), 'a password leaked');
    }
  });

  it('the LDAP backend: the same backend_kwargs on every blueprint, the bind password intact as StackStorm reads it and never shown; back to the htpasswd after', async () => {
    const diff = await st2prov(['diff', lab().inventory, ...VARS, ...LDAP, '--json', '--limit', 'st2-multi-node-1']);
    assert.equal(diff.code, 0, failures(diff));
    const conf = diff.json.hosts[0]!.steps.flatMap((s) => s.changes).find((c) => c.summary.includes('/etc/st2/st2.conf'));
    assert.ok(conf?.diff, failures(diff));
    assert.match(conf.diff, /^\+backend = ldap$/m);
    assert.match(conf.diff, /^\+backend_kwargs = \{"bind_password":"\*{8}","bind_dn":"CN=st2 bind,OU=svc,DC=example,DC=com",/m);
    const r = await apply(...LDAP);
    assert.equal(r.code, 0, failures(r));
    // as st2auth reads it: oslo.config turns $$ into $, then JSON; the lab's st2auth exits on anything else, and apply checks it stays up
    const read = "python3 -c \"import configparser, hashlib, json; p = configparser.ConfigParser(interpolation=None); p.read('/etc/st2/st2.conf'); k = json.loads(p.get('auth', 'backend_kwargs').replace('\\$\\$', '\\$')); print(p.get('auth', 'backend'), hashlib.sha256(k.pop('bind_password').encode()).hexdigest(), json.dumps(k, sort_keys=True))\"; systemctl is-active st2auth";
    const expected = ['ldap', createHash('sha256').update(LDAP_PW).digest('hex'), JSON.stringify({ base_ou: 'OU=people,DC=example,DC=com', bind_dn: 'CN=st2 bind,OU=svc,DC=example,DC=com', group_dns: ['CN=st2users,OU=groups,DC=example,DC=com'], group_dns_check: 'and', host: 'ldap1.example.com,ldap2.example.com', port: 389, use_ssl: false, use_tls: false }).replace(/":/g, '": ').replace(/,"/g, ', "')].join(' ');
    for (const b of [bp(1), bp(2)]) assert.equal(ssh(lab(), b.address, read).stdout, `${expected}\nactive\n`, b.name);
    assert.equal((await login(lab().hosts[0]!.address, 'st2admin', JSON.parse(readFileSync(join(dirname(lab().inventory), 'inventory.st2prov/secrets.json'), 'utf8')).st2_auth_password)).status, 401, 'no LDAP server in the lab: refused');
    const back = await apply();
    assert.equal(back.code, 0, failures(back));
    assert.equal((await login(lab().hosts[0]!.address, 'bob', BOB_PW)).status, 201);
    const escaped = JSON.stringify(LDAP_PW).slice(1, -1);
    for (const out of [diff, r, back]) assert.ok(![LDAP_PW, escaped, escaped.replaceAll('$', '$$')].some((v) => (out.stdout + out.stderr).includes(v)), 'the bind password leaked');
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
