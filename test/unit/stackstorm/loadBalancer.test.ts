import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isDrained, memberLine, memberPath, parseMemberNames } from '../../../src/stackstorm/loadBalancer.js';

describe('the load balancer’s member files', () => {
  const m = { name: 'st2-multi-node-1', address: '10.0.3.11' };

  it('a serving member fails over after one error; a drained one is down, and reads back as drained', () => {
    assert.equal(memberLine(m, false), '    server 10.0.3.11:443 max_fails=1 fail_timeout=10s;  # st2-multi-node-1\n');
    assert.equal(memberLine(m, true), '    server 10.0.3.11:443 down;  # st2-multi-node-1: drained by st2prov for its turn\n');
    assert.equal(isDrained(memberLine(m, true)), true);
    assert.equal(isDrained(memberLine(m, false)), false);
    assert.equal(isDrained('    server 10.0.3.11:443 weight=2 down;\n'), true, 'down among other parameters');
    assert.equal(isDrained('# server 10.0.3.11:443 down;\n    server 10.0.3.11:443;\n'), false, 'a comment does not drain');
  });

  it('one file per blueprint, named after it, nothing a file name should not hold', () => {
    assert.equal(memberPath('st2-multi-node-1'), '/etc/nginx/st2-upstream.d/st2-multi-node-1.conf');
    assert.equal(memberPath('../x y'), '/etc/nginx/st2-upstream.d/.._x_y.conf');
  });

  it('reads what the upstream listing prints: the folder, and each file’s name, however odd', () => {
    assert.deepEqual(parseMemberNames('dir\na.conf\0b\n@@ c.conf\0'), { dir: true, names: ['a.conf', 'b\n@@ c.conf'] });
    assert.deepEqual(parseMemberNames('dir\n'), { dir: true, names: [] });
    assert.deepEqual(parseMemberNames('none\n'), { dir: false, names: [] });
    for (const cut of ['', 'dir', 'dir\na.conf', 'none\na.conf\0', 'what\n']) assert.equal(parseMemberNames(cut), undefined, JSON.stringify(cut));
  });
});
