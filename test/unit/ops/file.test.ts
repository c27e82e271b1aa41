import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { unifiedDiff } from '../../../src/ops/file.js';

describe('a file’s diff', () => {
  it('masks the credentials of every URL it shows, the old line’s too, whoever wrote them', () => {
    const before = '[coordination]\nurl = zookeeper://st2:old-zk-password@10.0.3.51:2181\n[messaging]\nurl = amqp://st2:amqp-pw@10.0.3.10:5672/\n';
    const after = '[coordination]\nurl = redis://10.0.3.50:26379?sentinel=st2&password=new-query-pw\n[messaging]\nurl = amqp://st2:amqp-pw@10.0.3.10:5672/\nrepo = https://ghp_T0KEN@git.example.com/x.git deploy = ssh://git@git.example.com/x.git\n';
    const diff = unifiedDiff('/etc/st2/st2.conf', before, after, false);
    for (const secret of ['old-zk-password', 'amqp-pw', 'new-query-pw', 'ghp_T0KEN']) assert.ok(!diff.includes(secret), `${secret} in:\n${diff}`);
    assert.match(diff, /^-url = zookeeper:\/\/st2:\*{8}@10\.0\.3\.51:2181$/m);
    assert.match(diff, /^\+url = redis:\/\/10\.0\.3\.50:26379\?sentinel=st2&password=\*{8}$/m);
    assert.match(diff, /^ url = amqp:\/\/st2:\*{8}@10\.0\.3\.10:5672\/$/m);
    assert.match(diff, /^\+repo = https:\/\/\*{8}@git\.example\.com\/x\.git deploy = ssh:\/\/git@git\.example\.com\/x\.git$/m, 'a token given as the user is masked, ssh’s account is not');
  });
});
