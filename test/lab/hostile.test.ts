import assert from 'node:assert/strict';
import { appendFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { amqpLoginFrom } from '../harness/amqp.js';
import { changeLines, failures, st2prov, type CliRun } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';

/**
 * Secrets made of everything a config file can trip on: spaces, both quotes, $, backtick,
 * backslash, ;, #, %, @, :, /, non-ASCII, and more than 64 characters. Each file st2prov
 * writes must hold them exactly as the service reads them back.
 */
const HOSTILE = (what: string) => `${what} 'single' "double" $HOME \`id\` back\\slash ;semi #hash 100% user@host:port/path é中 ${'z'.repeat(64)}`;
const SECRETS = {
  rabbitmq_password: HOSTILE('rabbit'),
  redis_password: HOSTILE('redis'),
  mistral_db_password: HOSTILE('mistral'),
  st2_auth_password: HOSTILE('auth'),
};

describe('hostile secrets: a whole cluster whose passwords hold every character a config file trips on', () => {
  const lab = useLab(1);
  const outputs: CliRun[] = [];
  const env = Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [`HOSTILE_${k.toUpperCase()}`, v]));
  const run = async (...args: string[]) => {
    const r = await st2prov([...args, lab().inventory, '-e', 'st2_version=2.10.4'], env);
    outputs.push(r);
    return r;
  };

  it('apply converges with them, and a second apply changes nothing', async () => {
    appendFileSync(lab().inventory, `\n${Object.keys(SECRETS).map((k) => `${k}=env:HOSTILE_${k.toUpperCase()}`).join('\n')}\n`);
    const first = await run('apply', '--json');
    assert.equal(first.code, 0, failures(first));
    const again = await run('apply', '--json');
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), [], 'idempotent with hostile values');
  });

  it('every service runs and check passes: RabbitMQ and Redis take the passwords', async () => {
    const check = await run('check');
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /ok\s+st2-multi-node-1\s+logs in to RabbitMQ/);
    assert.match(check.stdout, /ok\s+st2-multi-node-1\s+reaches Redis .* with its password/);
    const controller = lab().hosts[0]!.address;
    assert.equal(await amqpLoginFrom(lab(), lab().hosts[1]!.address, controller, 'st2', SECRETS.rabbitmq_password), 'ok');
    assert.equal(await amqpLoginFrom(lab(), lab().hosts[1]!.address, controller, 'st2', `${SECRETS.rabbitmq_password}x`), 'refused');
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

  it('no secret appears in any output', () => {
    assert.ok(outputs.length >= 3);
    for (const out of outputs) {
      const text = out.stdout + out.stderr;
      for (const v of Object.values(SECRETS)) {
        assert.ok(!text.includes(v) && !text.includes(encodeURIComponent(v)), 'a secret leaked');
        const at = text.indexOf('zzzzzzzzzzzzzzzz');
        assert.ok(at < 0, `no part of a secret leaked: …${text.slice(Math.max(0, at - 120), at + 20)}`);
      }
    }
  });
});
