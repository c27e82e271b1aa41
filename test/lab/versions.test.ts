import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { failures, st2prov } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';

describe('a current StackStorm (3.x) with st2chatops and MongoDB Inc.’s mongodb-org: no Mistral, no PostgreSQL, the timers engine keys', () => {
  const lab = useLab(1);
  const vars = ['-e', 'st2_version=3.8.1', '-e', 'mongodb_package=mongodb-org'];

  it('converges and checks without any of the Mistral layout', async () => {
    const r = await st2prov(['apply', lab().inventory, ...vars, '-e', 'st2_chatops=true', '--json']);
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
});
