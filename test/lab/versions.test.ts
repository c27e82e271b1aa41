import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { changeLines, failures, st2prov, type CliRun } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';

describe('a current StackStorm (3.x) with st2chatops and MongoDB Inc.’s mongodb-org: no Mistral, no PostgreSQL, the timers engine keys', () => {
  const lab = useLab(1);
  const vars = ['-e', 'st2_version=3.8.1', '-e', 'mongodb_package=mongodb-org'];
  // a chat token and an alias no shell would take unquoted
  const TOKEN = `xoxb-it's "a" $HOME \`id\` \\ token`;
  const ALIAS = "!'$(id)";
  const chatops = ['-e', 'st2_chatops=true', '-e', `st2_chatops_token=${TOKEN}`, '-e', `st2_chatops_alias=${ALIAS}`];
  const outputs: CliRun[] = [];

  it('converges and checks without any of the Mistral layout', async () => {
    const r = await st2prov(['apply', lab().inventory, ...vars, ...chatops, '--json']);
    outputs.push(r);
    assert.equal(r.code, 0, failures(r));
    const check = await st2prov(['check', lab().inventory, ...vars]);
    assert.equal(check.code, 0, check.stdout);
    assert.doesNotMatch(check.stdout, /mistral|PostgreSQL/);
    const controller = lab().hosts[0]!.address;
    const blueprint = lab().hosts[1]!.address;
    assert.notEqual(ssh(lab(), controller, 'dpkg -s postgresql >/dev/null 2>&1').code, 0, 'no PostgreSQL on the controller');
    assert.doesNotMatch(ssh(lab(), controller, 'cat /etc/nginx/conf.d/st2-lb.conf').stdout, /mistral/);
    assert.notEqual(ssh(lab(), blueprint, 'dpkg -s st2mistral >/dev/null 2>&1').code, 0, 'no st2mistral');
    const conf = ssh(lab(), blueprint, 'cat /etc/st2/st2.conf').stdout;
    assert.match(conf, /^\[timersengine\]\nenable = True$/m);
    assert.doesNotMatch(conf, /^\[mistral\]/m);
    assert.match(ssh(lab(), blueprint, "dpkg-query -W -f '${Version}' st2").stdout, /^3\.8\.1-1$/);
    assert.equal(ssh(lab(), controller, 'systemctl is-active st2chatops').stdout, 'active\n', 'st2chatops runs on the controller');
    // mongodb-org neither enables nor starts mongod: st2prov does, bound where the blueprints reach it
    assert.equal(ssh(lab(), controller, 'systemctl is-enabled mongod; systemctl is-active mongod').stdout, 'enabled\nactive\n');
    assert.match(ssh(lab(), controller, 'cat /etc/mongod.conf').stdout, new RegExp(`^  bindIp: 127\\.0\\.0\\.1,${controller.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('st2chatops is configured: its env file at the load balancer with the chat settings quoted for sh, an API key registered once that st2 accepts, on the one controller', async () => {
    const controller = lab().hosts[0]!.address;
    const blueprint = lab().hosts[1]!.address;
    const key = (JSON.parse(readFileSync(join(dirname(lab().inventory), 'inventory.st2prov/secrets.json'), 'utf8')) as Record<string, string>).st2_chatops_api_key!;
    assert.match(key, /^[\w-]{40,}$/);
    const env = '/opt/stackstorm/chatops/st2chatops.env';
    assert.equal(ssh(lab(), controller, `stat -c '%a %U:%G' ${env}`).stdout, '640 root:st2\n');
    const read = ssh(lab(), controller, `sh -c '. ${env} && printf "%s|" "$ST2_API_URL" "$ST2_AUTH_URL" "$ST2_STREAM_URL" "$HUBOT_ADAPTER" "$HUBOT_ALIAS" "$HUBOT_SLACK_TOKEN" "$ST2_API_KEY"'`);
    assert.equal(read.stdout, [`https://${controller}/api`, `https://${controller}/auth`, `https://${controller}/stream`, 'slack', ALIAS, TOKEN, key, ''].join('|'), read.stderr);
    assert.equal(ssh(lab(), controller, 'systemctl is-active st2chatops').stdout, 'active\n');
    assert.notEqual(ssh(lab(), blueprint, 'dpkg -s st2chatops >/dev/null 2>&1').code, 0, 'st2chatops on the controller only');
    // st2 accepts the key (through the load balancer, as st2chatops asks) and refuses another
    const asked = (k: string) => ssh(lab(), controller, `curl -s -o /dev/null -w '%{http_code}' --cacert /etc/ssl/st2/st2.crt -H 'St2-Api-Key: ${k}' https://${controller}/api/v1/actions`).stdout;
    assert.equal(asked(key), '200');
    assert.equal(asked('not-the-key'), '401');
    // registered by its hash, once; a second apply changes nothing and registers nothing
    const registered = () => ssh(lab(), blueprint, 'cat /var/lib/st2-lab-auth/apikeys').stdout.trim().split('\n');
    assert.deepEqual(registered(), [createHash('sha512').update(`saltnpeper${key}`).digest('hex')]);
    const again = await st2prov(['apply', lab().inventory, ...vars, ...chatops, '--json']);
    outputs.push(again);
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
    assert.equal(registered().length, 1);
    for (const out of outputs) {
      const text = out.stdout + out.stderr;
      for (const secret of [key, TOKEN]) assert.ok(!text.includes(secret), 'a secret leaked');
    }
  });
});
