import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import { BRIDGE, PREFIX_LENGTH, REPO_URL, SUBNET, address, runDir } from '../lab/config.js';
import { labDown, labUp, leftovers, type LabState } from '../lab/lab.js';
import { isAlive } from '../lab/processes.js';

describe('the lab: real Debian hosts in network namespaces', () => {
  const lab = useLab(3);

  it('brings up one controller and three blueprints, with an inventory users could write', () => {
    assert.equal(lab().hosts.length, 4);
    const inventory = readFileSync(lab().inventory, 'utf8');
    assert.ok(inventory.includes(`[controller]\nst2-multi-node-cntl ansible_host=${address(10)}\n`), inventory);
    assert.ok(inventory.includes(`[blueprint]\nst2-multi-node-1 ansible_host=${address(11)}\nst2-multi-node-2 ansible_host=${address(12)}\nst2-multi-node-3 ansible_host=${address(13)}\n`), inventory);
  });

  it('answers strict-host-key ssh on every host, as root and as a sudo user', () => {
    for (const host of lab().hosts) {
      const root = ssh(lab(), host.address, 'hostname; id -un');
      assert.equal(root.code, 0, root.stderr);
      assert.equal(root.stdout, `${host.name}\nroot\n`);
      const admin = ssh(lab(), host.address, 'id -un; sudo -n id -un', 'labadmin');
      assert.equal(admin.code, 0, admin.stderr);
      assert.equal(admin.stdout, 'labadmin\nroot\n');
    }
  });

  it('gives each host its own host key', () => {
    const keys = new Set(lab().hosts.map((h) => h.hostKey.split(' ')[1]));
    assert.equal(keys.size, 4);
  });

  it('keeps hosts off every network but the lab’s: no default route, no IPv6', () => {
    const r = ssh(lab(), lab().hosts[1]!.address, 'ip route; echo ---; cat /proc/sys/net/ipv6/conf/all/disable_ipv6; ip route get 192.0.2.1 2>&1 || echo unreachable');
    assert.equal(r.code, 0, r.stderr);
    const [routes, rest] = r.stdout.split('---\n') as [string, string];
    assert.equal(routes.trim(), `${SUBNET}/${PREFIX_LENGTH} dev eth0 proto kernel scope link src ${address(11)}`);
    assert.match(rest, /^1\n/);
    assert.match(rest, /unreachable/);
  });

  it('boots real systemd as PID 1 on every host, in parallel: running, no failed unit, sshd a unit, a journal', () => {
    for (const host of lab().hosts) {
      const r = ssh(lab(), host.address, 'cat /proc/1/comm; systemctl is-system-running; systemctl --failed --no-legend --plain; systemctl is-active ssh; journalctl -u ssh --no-pager -q | grep -q "Server listening" && echo journal');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'systemd\nrunning\nactive\njournal\n', `${host.name}: ${r.stdout}`);
    }
  });

  it('installs postgresql from the local repository, and its service runs as a systemd unit', () => {
    const r = ssh(lab(), lab().hosts[0]!.address, 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >/dev/null 2>&1 && pg_lsclusters --no-header && systemctl is-active postgresql@15-main');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /online/);
    assert.match(r.stdout, /^active$/m);
  });

  it('ships the test packages’ systemd units as StackStorm’s packages do: enabled on install, not started (MongoDB started)', () => {
    const host = lab().hosts[3]!;
    const script = [
      `echo "deb [signed-by=/usr/share/keyrings/st2lab-archive-keyring.gpg] ${REPO_URL}/stackstorm ./" > /etc/apt/sources.list.d/st2lab.list`,
      'apt-get update -q >/dev/null',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q st2=3.8.1-1 mongodb-server >/dev/null 2>&1',
      'systemctl is-enabled st2api st2actionrunner st2timersengine mongodb',
      'systemctl is-active st2api mongodb || true',
      'systemctl cat st2api | grep -E "^(User|ExecStart|Restart)="',
    ].join(' && ');
    const r = ssh(lab(), host.address, script);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      'enabled', 'enabled', 'enabled', 'enabled',
      'inactive', 'active',
      'User=st2', 'ExecStart=/opt/stackstorm/st2/bin/st2-lab-daemon st2api $DAEMON_ARGS', 'Restart=on-failure',
    ]);
  });

  it('a test daemon with a bad config exits non-zero and says why in the journal', () => {
    const host = lab().hosts[3]!;
    const r = ssh(lab(), host.address, "sed -i 's/^port = 9101$/port = ninety/' /etc/st2/st2.conf && systemctl start st2api; sleep 1; systemctl is-active st2api; journalctl -u st2api -n 5 --no-pager -o cat");
    assert.match(r.stdout, /^(activating|failed)\n/, r.stdout);
    assert.match(r.stdout, /st2api: port 'ninety' in \/etc\/st2\/st2\.conf is not a number/);
  });

  it('serves the test st2 packages: daemons on the real ports answer with their host name', () => {
    const host = lab().hosts[2]!;
    const script = [
      `echo "deb [signed-by=/usr/share/keyrings/st2lab-archive-keyring.gpg] ${REPO_URL}/stackstorm ./" > /etc/apt/sources.list.d/st2lab.list`,
      'apt-get update -q >/dev/null',
      'DEBIAN_FRONTEND=noninteractive apt-get install -y -q st2 mongodb-server >/dev/null 2>&1',
      'st2ctl start >/dev/null',
      'sleep 1',
      'python3 -c "import urllib.request as u; print(u.urlopen(\'http://127.0.0.1:9101/v1/actions\').read().decode())"',
      'python3 -c "import socket; s=socket.create_connection((\'127.0.0.1\', 27017)); print(s.recv(100).decode().strip())"',
      'test -f /etc/st2/st2.conf && test -x /usr/bin/st2ctl && test -d /opt/stackstorm/packs/core && echo layout-ok',
    ].join(' && ');
    const r = ssh(lab(), host.address, script);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual(r.stdout.trim().split('\n'), [
      JSON.stringify({ component: 'st2api', host: host.name, path: '/v1/actions' }).replace(/,/g, ', ').replace(/":/g, '": '),
      `mongodb ${host.name}`,
      'layout-ok',
    ]);
  });

  it('cleans a stale lab on the next up, and down leaves nothing behind', async () => {
    const before = JSON.parse(readFileSync(`${runDir}/state.json`, 'utf8')) as LabState;
    await labUp(1); // as if the previous lab had been left by a killed run
    for (const h of before.hosts) assert.ok(!isAlive(h.pid), `old host ${h.name} stopped`);
    const state = JSON.parse(readFileSync(`${runDir}/state.json`, 'utf8')) as LabState;
    assert.equal(state.hosts.length, 2);
    assert.ok(state.hosts.every((h) => h.init === 'systemd'));
    assert.deepEqual(labDown(), []);
    assert.deepEqual(leftovers(state), []);
    assert.ok(!existsSync(runDir));
    assert.ok(!readFileSync('/proc/net/dev', 'utf8').includes(BRIDGE));
  });
});
