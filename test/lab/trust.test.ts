import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { amqpLoginFrom } from '../harness/amqp.js';
import { failures, st2prov } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
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
 */
const HOSTILE = (what: string) => `${what} 'single' "double" $HOME \`id\` back\\slash ;semi #hash 100% user@host:port/path é中 ${'z'.repeat(64)}`;
const SECRETS = {
  rabbitmq_password: HOSTILE('rabbit'),
  redis_password: HOSTILE('redis'),
  mistral_db_password: HOSTILE('mistral'),
  st2_auth_password: HOSTILE('auth'),
};
const ENV = Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [`HOSTILE_${k.toUpperCase()}`, v]));
const POINTS: KillPoint[] = [{ kind: 'apt' }, { kind: 'step', after: 10 }, { kind: 'transfer' }];
const VARS = ['-e', 'st2_version=2.10.4'];

describe('trust: a whole cluster with hostile secrets, killed three times during its first apply (1 controller + 1 blueprint, sysvinit hosts)', () => {
  const lab = useLab(1, { init: 'sysvinit' });
  const outputs: string[] = [];
  const afterKills: ReturnType<typeof snapshot>[] = [];
  const packShas: string[] = [];

  it('the hosts run no systemd: tini is PID 1, services are init scripts', () => {
    for (const h of lab().hosts) {
      const r = ssh(lab(), h.address, 'cat /proc/1/comm; test -d /run/systemd/system && echo systemd-running || echo no-systemd');
      assert.equal(r.stdout, 'tini\nno-systemd\n', `${h.name}: ${r.stdout}${r.stderr}`);
    }
  });

  for (const point of POINTS) {
    it(`an apply is killed ${describePoint(point)}; no pack file went live half-sent`, async () => {
      if (!packShas.length) appendFileSync(lab().inventory, `\n${Object.keys(SECRETS).map((k) => `${k}=env:HOSTILE_${k.toUpperCase()}`).join('\n')}\n`);
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
});
