import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { amqpLoginFrom } from '../harness/amqp.js';
import { failures, st2prov } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import { tempDir } from '../harness/tempDir.js';
import { labDown, labUp, type Lab } from './lab.js';
import { largeRoundTrip, refusedRestores, stateDir } from './backups.js';
import { applyKilledAt, assertConverges, assertNothingWasCut, assertPackWhole, describePoint, preparePacks, snapshot, type KillPoint } from './crash.js';

/**
 * Trust on one whole cluster (1 controller + 1 blueprint), on hosts without systemd (tini as
 * PID 1, sysvinit scripts: the guide's 2.x layout with Mistral and PostgreSQL), so the
 * init-script path of every service st2prov drives stays proven on the same converge:
 *
 * - Secrets made of everything a config file can trip on: spaces, both quotes, $, backtick,
 *   backslash, ;, #, %, @, :, /, non-ASCII, and more than 64 characters. Each file st2prov
 *   writes must hold them exactly as the service reads them back, and no output shows them.
 * - CI's share of the crash-consistency runs (`npm run crash` kills every step boundary, each
 *   on fresh hosts): the first apply is killed with SIGKILL during an apt transaction, the
 *   next after its 10th step, the next in the middle of a file transfer; then an apply
 *   converges, the one after changes nothing, no handler is owed, nothing is left, and no
 *   file st2prov manages was live half-written at any of the kills.
 * - Last, backup and restore: the converged cluster is backed up, the lab torn down and built
 *   again from nothing (same inventory, no state folder: the backup key is given from the copy
 *   kept apart), and the backup restored onto it. On that cluster, restores of a truncated, a
 *   foreign, a planted and crafted backups are refused with nothing written anywhere, and a
 *   database of a GiB is backed up and restored in bounded memory.
 */
const HOSTILE = (what: string) => `${what} 'single' "double" $HOME \`id\` back\\slash ;semi #hash 100% user@host:port/path é中 ${'z'.repeat(64)}`;
const SECRETS = {
  rabbitmq_password: HOSTILE('rabbit'),
  redis_password: HOSTILE('redis'),
  mistral_db_password: HOSTILE('mistral'),
  st2_auth_password: HOSTILE('auth'),
};
const ENV = Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [`HOSTILE_${k.toUpperCase()}`, v]));
const INVENTORY_SECRETS = `\n${Object.keys(SECRETS).map((k) => `${k}=env:HOSTILE_${k.toUpperCase()}`).join('\n')}\n`;
const POINTS: KillPoint[] = [{ kind: 'apt' }, { kind: 'step', after: 10 }, { kind: 'transfer' }];
const VARS = ['-e', 'st2_version=2.10.4'];

describe('trust: a whole cluster with hostile secrets, killed three times during its first apply (1 controller + 1 blueprint, sysvinit hosts)', () => {
  const lab = useLab(1, { init: 'sysvinit' });
  const outputs: string[] = [];
  const afterKills: ReturnType<typeof snapshot>[] = [];
  const packShas: string[] = [];
  /** the lab built again from nothing and restored */
  let rebuilt: Lab | undefined;

  it('the hosts run no systemd: tini is PID 1, services are init scripts', () => {
    for (const h of lab().hosts) {
      const r = ssh(lab(), h.address, 'cat /proc/1/comm; test -d /run/systemd/system && echo systemd-running || echo no-systemd');
      assert.equal(r.stdout, 'tini\nno-systemd\n', `${h.name}: ${r.stdout}${r.stderr}`);
    }
  });

  for (const point of POINTS) {
    it(`an apply is killed ${describePoint(point)}; no pack file went live half-sent`, async () => {
      if (!packShas.length) appendFileSync(lab().inventory, INVENTORY_SECRETS);
      // new content before the transfer kill, so that run has a big file to send
      packShas.push(preparePacks(lab(), point.kind === 'transfer'));
      const { killed, output } = await applyKilledAt(lab(), point, ENV);
      outputs.push(output);
      assert.ok(killed, 'the kill point was reached before the run ended');
      assertPackWhole(lab(), ...packShas);
      afterKills.push(snapshot(lab()));
    });
  }

  it('the next apply converges, the one after changes nothing, no handler is owed, nothing is left', async () => {
    assert.equal(afterKills.length, POINTS.length, 'every kill happened');
    const runs = await assertConverges(lab(), ENV);
    outputs.push(...runs.map((r) => r.stdout + r.stderr));
    const changes = runs.flatMap((r) => r.json.hosts.flatMap((h) => h.steps.flatMap((s) => s.changes)));
    assert.ok(!changes.some((c) => c.kind === 'systemd'), 'no systemd drop-in on a sysvinit host');
  });

  it('no file it manages was live half-written at any of the kills', () => {
    const converged = snapshot(lab());
    for (const afterKill of afterKills) assertNothingWasCut(afterKill, converged);
  });

  it('every service runs and check passes: RabbitMQ and Redis take the hostile passwords', async () => {
    const check = await st2prov(['check', lab().inventory, ...VARS], ENV);
    outputs.push(check.stdout + check.stderr);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /ok\s+st2-multi-node-1\s+logs in to RabbitMQ/);
    assert.match(check.stdout, /ok\s+st2-multi-node-1\s+reaches Redis .* with its password/);
    const controller = lab().hosts[0]!.address;
    assert.equal(await amqpLoginFrom(lab(), lab().hosts[1]!.address, controller, 'st2', SECRETS.rabbitmq_password), 'ok');
    assert.equal(await amqpLoginFrom(lab(), lab().hosts[1]!.address, controller, 'st2', `${SECRETS.rabbitmq_password}x`), 'refused');
  });

  it('the services run from their init scripts (pidfiles), enabled by rc links', () => {
    const r = ssh(lab(), lab().hosts[1]!.address, 'for s in st2api mistral-api; do start-stop-daemon --status --pidfile /run/$s.pid && echo $s; done; ls /etc/rc2.d | grep -c -E "^S[0-9]+(st2api|mistral-api)$"');
    assert.equal(r.stdout, 'st2api\nmistral-api\n2\n', r.stderr);
  });

  it('PostgreSQL takes the mistral password from a blueprint, as mistral.conf has it', () => {
    const blueprint = lab().hosts[1]!.address;
    const tools = ssh(lab(), blueprint, 'DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client >/dev/null 2>&1');
    assert.equal(tools.code, 0, tools.stderr);
    // the URL mistral.conf holds, used as it is: the same percent-encoding mistral reads
    const login = ssh(lab(), blueprint, `psql "$(sed -n 's/^connection = //p' /etc/mistral/mistral.conf)" -tAc 'select current_user'`);
    assert.equal(login.stdout.trim(), 'mistral', login.stderr);
    const wrong = ssh(lab(), blueprint, `psql "$(sed -n 's/^connection = //p' /etc/mistral/mistral.conf | sed 's/@/x@/')" -tAc 'select current_user'`);
    assert.match(wrong.stderr, /password authentication failed/, 'another password is refused');
  });

  it('a service that dies right after its init script started it fails the apply, with its log', async () => {
    const bp = lab().hosts[1]!;
    // st2stream's address is taken: its daemon exits at once, though start-stop-daemon said "started"
    const block = ssh(lab(), bp.address, 'service st2stream stop >/dev/null; python3 -m http.server --bind 127.0.0.1 9102 </dev/null >/dev/null 2>&1 & echo $! > /run/st2lab-blocker.pid; sleep 0.5; echo blocked');
    assert.equal(block.stdout, 'blocked\n', block.stderr);
    try {
      const r = await st2prov(['apply', lab().inventory, ...VARS, '--json', '--limit', bp.name], ENV);
      outputs.push(r.stdout + r.stderr);
      assert.equal(r.code, 2, failures(r));
      const failed = r.json.hosts[0]!.steps.find((s) => s.status === 'failed');
      assert.match(failed!.reason!, /^st2stream: did not stay up: it is not running after its init script returned\n  tail -n 20 \/var\/log\/st2\/st2stream\.log:\n/);
      assert.match(failed!.reason!, /st2stream: cannot listen on 127\.0\.0\.1:9102: Address already in use/);
    } finally {
      ssh(lab(), bp.address, 'kill "$(cat /run/st2lab-blocker.pid)"');
    }
    const r = await st2prov(['apply', lab().inventory, ...VARS, '--json', '--limit', bp.name], ENV);
    outputs.push(r.stdout + r.stderr);
    assert.equal(r.code, 0, failures(r));
  });

  it('no secret appears in any output, the killed runs’ included', () => {
    assert.equal(outputs.length, POINTS.length + 5);
    for (const text of outputs) {
      for (const v of Object.values(SECRETS)) assert.ok(!text.includes(v) && !text.includes(encodeURIComponent(v)), 'a secret leaked');
      const at = text.indexOf('zzzzzzzzzzzzzzzz');
      assert.ok(at < 0, `no part of a secret leaked: …${text.slice(Math.max(0, at - 120), at + 20)}`);
    }
  });

  it('backup, a lab rebuilt from nothing, restore (with the backup key kept apart): keys, htpasswd, a pack config and a link to it, RBAC and a MongoDB record are back; check passes; no secret shown', async () => {
    const packSecret = HOSTILE('pack-config');
    // what only the old cluster has: a pack config and an RBAC role on the blueprint, a record in the lab mongod's st2 "database"
    const put = (address: string, path: string, content: string, mode: string) =>
      assert.equal(ssh(lab(), address, `mkdir -p "$(dirname ${path})" && printf '%s' '${Buffer.from(content).toString('base64')}' | base64 -d > ${path} && chmod ${mode} ${path}`).code, 0);
    put(lab().hosts[1]!.address, '/opt/stackstorm/configs/labpack.yaml', `api_token: "${packSecret}"\n`, '0640');
    put(lab().hosts[1]!.address, '/opt/stackstorm/rbac/roles/observer.yaml', 'name: observer\npermission_grants: []\n', '0644');
    put(lab().hosts[0]!.address, '/var/lib/mongodb/st2/key_value_pair.json', '{"name": "lab.record", "value": "kept across a rebuild"}\n', '0644');
    // a link among the pack configs: kept as a link (backup dropped it silently)
    assert.equal(ssh(lab(), lab().hosts[1]!.address, 'ln -s labpack.yaml /opt/stackstorm/configs/labpack-link.yaml').code, 0);
    const MATERIAL = ['/etc/st2/keys/datastore_key.json', '/etc/st2/htpasswd', '/home/stanley/.ssh/stanley_rsa', '/home/stanley/.ssh/stanley_rsa.pub', '/opt/stackstorm/configs/labpack.yaml', '/opt/stackstorm/configs/labpack-link.yaml', '/opt/stackstorm/rbac/roles/observer.yaml'];
    const state = (l: Lab) => ({
      blueprint: ssh(l, l.hosts[1]!.address, `stat -c '%n %F %a %U:%G' ${MATERIAL.join(' ')} && readlink /opt/stackstorm/configs/labpack-link.yaml && sha256sum ${MATERIAL.join(' ')}`).stdout,
      record: ssh(l, l.hosts[0]!.address, 'cat /var/lib/mongodb/st2/key_value_pair.json').stdout,
    });
    const before = state(lab());
    assert.match(before.record, /kept across a rebuild/);
    assert.match(before.blueprint, /^\/opt\/stackstorm\/configs\/labpack-link\.yaml symbolic link 777 root:root$/m);
    assert.match(before.blueprint, /^labpack\.yaml$/m);
    const key = ssh(lab(), lab().hosts[1]!.address, 'cat /etc/st2/keys/datastore_key.json').stdout;
    const stanley = ssh(lab(), lab().hosts[1]!.address, 'sed -n 2p /home/stanley/.ssh/stanley_rsa').stdout.trim();
    assert.ok(key.length > 20 && stanley.length > 20);
    const shown: string[] = [];

    const file = join(tempDir('backup'), 'cluster.st2backup');
    const backup = await st2prov(['backup', lab().inventory, '-o', file, '-e', 'st2_version=2.10.4'], ENV);
    shown.push(backup.stdout + backup.stderr);
    assert.equal(backup.code, 0, backup.stdout + backup.stderr);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.match(backup.stdout, /authenticated with the backup key [0-9a-f]{16} \(.*backup\.key, made now: this is the cluster's first backup\): keep a copy of that file apart from the backups/);
    // the operator's copy of the key, kept apart from the backups (the state folder goes with the lab)
    const keyCopy = join(tempDir('backup-key'), 'backup.key');
    copyFileSync(join(stateDir(lab()), 'backup.key'), keyCopy);

    // the whole lab goes: hosts, inventory, state folder; then the same inventory on fresh hosts
    const init = lab().init;
    labDown();
    const fresh = await labUp(1, { init });
    rebuilt = fresh;
    appendFileSync(fresh.inventory, INVENTORY_SECRETS);
    assert.notEqual(ssh(fresh, fresh.hosts[1]!.address, 'test -e /etc/st2/keys/datastore_key.json').code, 0, 'the rebuilt blueprint starts without st2');

    // without a state folder there is no backup key: refused, naming the key it needs, nothing written
    const keyless = await st2prov(['restore', fresh.inventory, file, '-e', 'st2_version=2.10.4'], ENV);
    shown.push(keyless.stdout + keyless.stderr);
    assert.equal(keyless.code, 1, keyless.stdout + keyless.stderr);
    assert.match(keyless.stderr, /is authenticated with the backup key [0-9a-f]{16}, and the state folder .* has no backup key \(backup\.key\)\n {2}give the copy of the state folder's backup\.key kept apart from the backups with --backup-key FILE/);
    assert.ok(!existsSync(stateDir(fresh)), 'no state folder was made');

    const restore = await st2prov(['restore', fresh.inventory, file, '--backup-key', keyCopy, '-e', 'st2_version=2.10.4'], ENV);
    shown.push(restore.stdout + restore.stderr);
    assert.equal(restore.code, 0, restore.stdout + restore.stderr);
    const after = state(fresh);
    assert.equal(after.blueprint, before.blueprint, 'the same files, bytes, modes and owners');
    assert.equal(after.record, before.record, 'the MongoDB record is back');
    const check = await st2prov(['check', fresh.inventory, '-e', 'st2_version=2.10.4'], ENV);
    shown.push(check.stdout + check.stderr);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const again = await st2prov(['apply', fresh.inventory, '-e', 'st2_version=2.10.4'], ENV);
    shown.push(again.stdout + again.stderr);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, / 0 step\(s\) changed/, 'an apply after the restore changes nothing: the restored state is what apply makes');

    for (const text of shown) {
      for (const secret of [...Object.values(SECRETS), packSecret, key.trim(), JSON.parse(key).aesKeyString as string, stanley]) assert.ok(!text.includes(secret), `a secret leaked: ${text.slice(0, 300)}`);
      assert.ok(!text.includes('zzzzzzzzzzzzzzzz'), 'no part of a secret leaked');
    }
  });

  it('a truncated, a foreign, a planted and crafted backups (deep nesting, bad secrets, setuid and 7777 modes, a root write, a name twice, escape codes), /dev/zero: each refused, the state folder and every host byte for byte as they were', async () => {
    assert.ok(rebuilt, 'the lab was rebuilt and restored');
    const shown = await refusedRestores(rebuilt, VARS, ENV);
    for (const text of shown) for (const v of Object.values(SECRETS)) assert.ok(!text.includes(v), 'a secret leaked');
  });

  it('a backup and a restore of a 1 GiB database stream it: st2prov\'s peak RSS stays under 200 MB in each (measured, printed)', async (t) => {
    assert.ok(rebuilt, 'the lab was rebuilt and restored');
    const shown = await largeRoundTrip(t, rebuilt, VARS, ENV);
    for (const text of shown) for (const v of Object.values(SECRETS)) assert.ok(!text.includes(v), 'a secret leaked');
  });
});
