import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { st2prov } from '../../harness/cli.js';
import { tempDir } from '../../harness/tempDir.js';

/** An inventory of hosts on TEST-NET-1 (192.0.2.0/24), which nothing answers: a run that contacted one would hang or say unreachable. */
const inventory = (controllers: number, vars = '') => {
  const dir = tempDir('count');
  const file = join(dir, 'inventory.ini');
  writeFileSync(file, `[controller]\n${Array.from({ length: controllers }, (_, i) => `c${i + 1} ansible_host=192.0.2.${i + 1}`).join('\n')}\n[blueprint]\nb1 ansible_host=192.0.2.11\n[all:vars]\n${vars}\n`);
  return { dir, file };
};

describe('the controller count, refused before any host is contacted', () => {
  for (const command of ['apply', 'diff', 'check']) {
    it(`${command}: two or four controllers exit 1 with the reason, and nothing is touched`, async () => {
      for (const count of [2, 4]) {
        const { dir, file } = inventory(count, 'lb_vip=192.0.2.50');
        const run = await st2prov([command, file, '--timeout', '30']);
        assert.equal(run.code, 1, run.stdout + run.stderr);
        assert.match(run.stderr, new RegExp(`the inventory has ${count} hosts in \\[controller\\]`));
        assert.match(run.stderr, count === 2 ? /two cannot survive losing one/ : /st2prov builds no larger tier/);
        assert.doesNotMatch(run.stdout + run.stderr, /unreachable/i);
        assert.ok(!existsSync(join(dir, 'inventory.st2prov')), 'no state folder made');
      }
    });
  }

  it('three controllers without lb_vip exit 1 naming it', async () => {
    const run = await st2prov(['apply', inventory(3).file]);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /lb_vip is not set, and the inventory has three controllers \(c1, c2, c3\)/);
  });
});

describe('st2auth users and backend, refused before any host is contacted', () => {
  for (const [vars, message] of [
    ['st2_auth_users=alice:s3cret-pw,bad/name', /^st2prov: .*inventory\.ini:6: st2_auth_users: entry 2 is not an st2auth user name \(use letters, digits/],
    ['st2_auth_backend=ldap\nst2_auth_ldap_host=ldap.example.com\nst2_auth_ldap_bind_dn=CN=st2\nst2_auth_ldap_base_ou=OU=people\nst2_auth_ldap_group_dns=CN=st2users', /^st2prov: .*inventory\.ini:6: st2_auth_backend is ldap, but st2_auth_ldap_bind_password is not set \(set them/],
  ] as const) {
    it(`apply: ${message.source.slice(0, 60)}…`, async () => {
      const { dir, file } = inventory(1, vars);
      const run = await st2prov(['apply', file, '--timeout', '30']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '');
      assert.doesNotMatch(run.stderr, /unreachable|s3cret-pw/i);
      assert.ok(!existsSync(join(dir, 'inventory.st2prov')), 'no state folder made');
    });
  }
});
