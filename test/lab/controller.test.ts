import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { amqpLoginFrom } from '../harness/amqp.js';
import { changeLines, failures, st2prov, type CliRun } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';

/** The guide's era: Mistral and PostgreSQL on the controller. */
const VERSION = ['-e', 'st2_version=2.10.4'];

describe('controller playbook on fresh lab hosts (1 controller + 2 blueprints)', () => {
  const lab = useLab(2);
  const run = (command: string, ...args: string[]) => st2prov([command, lab().inventory, '--playbook', 'controller', ...VERSION, ...args]);
  const secrets = () => JSON.parse(readFileSync(join(dirname(lab().inventory), 'inventory.st2prov/secrets.json'), 'utf8')) as Record<string, string>;
  const outputs: CliRun[] = [];
  const controller = () => lab().hosts[0]!;
  const blueprint = () => lab().hosts[1]!;
  let planned: string[] = [];

  it('diff on fresh hosts lists every change, marking steps that wait for packages as pending', async () => {
    const r = await run('diff', '--json');
    outputs.push(r);
    assert.equal(r.code, 0, failures(r));
    const steps = r.json.hosts[0]!.steps;
    const pending = steps.filter((s) => s.status === 'pending').map((s) => s.step);
    for (const step of ['PostgreSQL listens where the blueprints reach it', 'MongoDB binds to the controller address', 'pg_hba admits the blueprints with a password', 'RabbitMQ user for st2 (guest is refused over the network)', 'Redis for coordination: on the controller address, with a password']) {
      assert.ok(pending.includes(step), `${step} is pending`);
      assert.match(steps.find((s) => s.step === step)!.reason!, /^pending, after "install MongoDB, PostgreSQL, RabbitMQ and Redis"/);
    }
    planned = changeLines(r.json);
    assert.ok(planned.some((l) => /install mongodb-server postgresql rabbitmq-server redis-server nginx/.test(l)));
    assert.ok(planned.some((l) => l.includes('/etc/apt/sources.list.d/stackstorm.list')));
  });

  it('apply converges the controller, doing at least what diff planned', async () => {
    const r = await run('apply', '--json');
    outputs.push(r);
    assert.equal(r.code, 0, failures(r));
    const applied = changeLines(r.json);
    for (const line of planned) assert.ok(applied.includes(line), `apply did "${line}"`);
  });

  it('a second apply reports 0 changed and restarts nothing; diff then shows nothing', async () => {
    const again = await run('apply', '--json');
    outputs.push(again);
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
    assert.ok(!again.json.hosts[0]!.steps.some((s) => s.step.startsWith('handler:')), 'no handler ran');
    const diff = await run('diff', '--exit-code');
    outputs.push(diff);
    assert.equal(diff.code, 0, diff.stdout);
  });

  it('from a blueprint: mistral logs in to PostgreSQL with its password, not with another', () => {
    const pw = secrets().mistral_db_password!;
    const tools = ssh(lab(), blueprint().address, 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client redis-tools curl >/dev/null 2>&1');
    assert.equal(tools.code, 0, tools.stderr);
    const ok = ssh(lab(), blueprint().address, `PGPASSWORD='${pw}' psql -h ${controller().address} -U mistral mistral -tAc 'select current_user'`);
    assert.equal(ok.stdout.trim(), 'mistral', ok.stderr);
    const wrong = ssh(lab(), blueprint().address, `PGPASSWORD=wrong psql -h ${controller().address} -U mistral mistral -tAc 'select 1'`);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /password authentication failed/);
  });

  it('from a blueprint: Redis answers with the password only', () => {
    const withPw = ssh(lab(), blueprint().address, `REDISCLI_AUTH='${secrets().redis_password}' redis-cli -h ${controller().address} ping`);
    assert.equal(withPw.stdout.trim(), 'PONG');
    const without = ssh(lab(), blueprint().address, `redis-cli -h ${controller().address} ping`);
    assert.match(without.stdout, /NOAUTH/);
  });

  it('from a blueprint: the RabbitMQ user authenticates over the network, guest does not', async () => {
    assert.equal(await amqpLoginFrom(lab(), blueprint().address, controller().address, 'st2', secrets().rabbitmq_password!), 'ok');
    assert.equal(await amqpLoginFrom(lab(), blueprint().address, controller().address, 'st2', 'wrong'), 'refused');
    assert.equal(await amqpLoginFrom(lab(), blueprint().address, controller().address, 'guest', 'guest'), 'refused');
  });

  it('from a blueprint: MongoDB answers on the controller address', () => {
    const r = ssh(lab(), blueprint().address, `python3 -c "import socket; s=socket.create_connection(('${controller().address}', 27017)); print(s.recv(100).decode().strip())"`);
    assert.equal(r.stdout.trim(), `mongodb ${controller().name}`, r.stderr);
  });

  it('https on the controller serves st2web, redirects http with 308, and /api/ is a JSON 503 with no blueprint up', () => {
    const c = controller().address;
    const web = ssh(lab(), blueprint().address, `curl -sk https://${c}/`);
    assert.match(web.stdout, /<div id="st2web">/);
    const redirect = ssh(lab(), blueprint().address, `curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://${c}/api/v1/actions`);
    assert.equal(redirect.stdout, `308 https://${c}/api/v1/actions`);
    const api = ssh(lab(), blueprint().address, `curl -sk -w '%{http_code} %{content_type}' https://${c}/api/v1/actions`);
    assert.equal(api.stdout, '{"faultstring": "no StackStorm blueprint is answering"}\n503 application/json');
  });

  it('hand-edited configs keep every comment and end with one active line per key', async () => {
    const c = controller().address;
    const edit = ssh(lab(), c, [
      `printf '# my note about bind_ip\\nbind_ip = 0.0.0.0\\n#bind_ip = 1.2.3.4\\nbind_ip=127.0.0.1 # old\\n' >> /etc/mongodb.conf`,
      `f=$(ls /etc/postgresql/*/main/postgresql.conf); printf "# keep this\\nlisten_addresses = '*'\\n" >> $f`,
      `printf '# hand-made\\nrequirepass nope\\n' >> /etc/redis/redis.conf`,
    ].join(' && '));
    assert.equal(edit.code, 0, edit.stderr);
    const r = await run('apply', '--json');
    outputs.push(r);
    assert.equal(r.code, 0, failures(r));
    const check = ssh(lab(), c, [
      `grep -c '^bind_ip' /etc/mongodb.conf`,
      `grep -c '# my note about bind_ip' /etc/mongodb.conf`,
      `grep -c '^#bind_ip = 1.2.3.4' /etc/mongodb.conf`,
      `grep -c '^listen_addresses' /etc/postgresql/*/main/postgresql.conf`,
      `grep -c '# keep this' /etc/postgresql/*/main/postgresql.conf`,
      `grep -c '^requirepass' /etc/redis/redis.conf`,
      `grep -c '# hand-made' /etc/redis/redis.conf`,
      `grep '^bind_ip' /etc/mongodb.conf`,
    ].join('; '));
    assert.deepEqual(check.stdout.trim().split('\n'), ['1', '1', '1', '1', '1', '1', '1', `bind_ip = 127.0.0.1,${c}`]);
    const again = await run('apply', '--json');
    assert.deepEqual(changeLines(again.json), []);
  });

  it('no secret appears in any output', () => {
    const values = Object.values(secrets());
    assert.ok(values.length >= 3);
    for (const out of outputs) {
      const text = out.stdout + out.stderr;
      for (const v of values) assert.ok(!text.includes(v) && !text.includes(encodeURIComponent(v)), 'a secret leaked');
    }
  });
});
