import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { InventoryError, UsageError } from '../../../src/core/errors.js';
import { isSecret, Secret } from '../../../src/core/secret.js';
import { apr1 } from '../../../src/edit/htpasswd.js';
import { iniEntries } from '../../../src/edit/iniFile.js';
import { resolveInventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';
import { parseYamlInventory } from '../../../src/inventory/parseYaml.js';
import { clusterView, givenSecret, type Selection } from '../../../src/inventory/selection.js';
import { settle } from '../../../src/inventory/settings.js';
import { authUserSecret } from '../../../src/inventory/variables.js';
import { renderTemplate } from '../../../src/ops/template.js';
import { authBackend, redactAuthKwargs } from '../../../src/stackstorm/auth.js';
import { unifiedDiff } from '../../../src/ops/file.js';
import { clusterSecrets, htpasswd } from '../../../src/stackstorm/material.js';
import { BLUEPRINTS } from '../../harness/clusters.js';

/** Quotes, a backslash, `$` as oslo.config substitutes it, spaces, a colon, a comma, a tab, non-ASCII, a JSON-looking tail. */
const HOSTILE = 'p"a\'s\\s $HOME ${api.host} :,\t ü€ "}, {"x": 1';

const selectionOf = (text: string, options: { yaml?: boolean; env?: NodeJS.ProcessEnv; extraVars?: Record<string, string> } = {}) => {
  const parsed = options.yaml ? parseYamlInventory(text, 'inv.yml') : parseInventory(text, 'inv.ini');
  const inventory = resolveInventory(parsed, { env: options.env ?? {}, extraVars: options.extraVars ?? {} });
  const settled = settle(inventory);
  const names = settled.hosts.map((h) => h.name);
  return { inventory, settled, hosts: settled.hosts, cluster: clusterView(settled, names) } satisfies Selection;
};

/** What a blueprint's step sees: the cluster, and secrets as the run's vault gives them (given, else kept). */
function hostOf(selection: Selection, name: string, kept: Record<string, string>): HostContext {
  const host = selection.hosts.find((h) => h.name === name)!;
  return {
    name, host, settings: host.settings, cluster: selection.cluster,
    secret: (n: string) => givenSecret(selection, n) ?? new Secret(kept[n] ?? assert.fail(`secret ${n} neither given nor kept`)),
  } as unknown as HostContext;
}

const YAML = (users: string, vars = '') => `all:\n  vars:\n    st2_auth_users:\n${users}${vars}\n  children:\n    controller:\n      hosts:\n        c: {ansible_host: 10.0.3.10}\n    blueprint:\n      hosts:\n        b1: {ansible_host: 10.0.3.11}\n        b2: {ansible_host: 10.0.3.12}\n`;

describe('st2auth users (st2_auth_users)', () => {
  it('read a list of names, name:password and name:env:NAME; the passwords are secrets', () => {
    const s = selectionOf(BLUEPRINTS(2, 'st2_auth_users=alice, bob:env:BOB_PW carol:s3cret,dave.o-k@x'), { env: { BOB_PW: HOSTILE } }).settled.settings;
    assert.deepEqual(s.st2_auth_users.map((u) => u.name), ['alice', 'bob', 'carol', 'dave.o-k@x']);
    assert.equal(s.st2_auth_users[0]!.password, undefined, 'left out: made once');
    assert.ok(isSecret(s.st2_auth_users[1]!.password) && s.st2_auth_users[1]!.password.reveal() === HOSTILE);
    assert.equal(s.st2_auth_users[2]!.password!.reveal(), 's3cret');
    assert.deepEqual(selectionOf(BLUEPRINTS(2)).settled.settings.st2_auth_users, [], 'none by default');
  });

  it('read a YAML mapping name → password (any characters; empty is made) and a YAML list', () => {
    const mapping = YAML(`      alice:\n      bob: "env:BOB_PW"\n      carol: ${JSON.stringify(HOSTILE)}\n`);
    const s = selectionOf(mapping, { yaml: true, env: { BOB_PW: 'from env' } }).settled.settings;
    assert.deepEqual(s.st2_auth_users.map((u) => [u.name, u.password?.reveal()]), [['alice', undefined], ['bob', 'from env'], ['carol', HOSTILE]]);
    const list = selectionOf(YAML('      - alice\n      - "bob:env:BOB_PW"\n'), { yaml: true, env: { BOB_PW: 'x' } }).settled.settings;
    assert.deepEqual(list.st2_auth_users.map((u) => [u.name, u.password?.reveal()]), [['alice', undefined], ['bob', 'x']]);
  });

  it('refuse a malformed list with file:line and the remedy, never repeating a password', () => {
    const cases: [string, RegExp, NodeJS.ProcessEnv?][] = [
      [BLUEPRINTS(2, 'st2_auth_users=alice:s3cret,with/slash'), /^inv\.ini:7: st2_auth_users: entry 2 is not an st2auth user name/],
      [BLUEPRINTS(2, 'st2_auth_users=alice:pa$$,x!y'), /^inv\.ini:7: st2_auth_users: entry 2 is not an st2auth user name\n?.*no ":" or spaces/s],
      [BLUEPRINTS(2, 'st2_auth_users=:s3cret'), /^inv\.ini:7: st2_auth_users: entry 1 has no user name/],
      [BLUEPRINTS(2, 'st2_auth_users=alice bob alice:other'), /^inv\.ini:7: st2_auth_users: entries 1 and 3 name the same user/],
      [BLUEPRINTS(2, 'st2_auth_users=bob:env:NOT_SET'), /^inv\.ini:7: st2_auth_users: the password of user "bob" refers to environment variable NOT_SET, which is not set/],
      [BLUEPRINTS(2, 'st2_auth_users=st2admin,alice'), /^inv\.ini:7: st2_auth_users lists "st2admin", the user st2_auth_username already is/],
      [BLUEPRINTS(2, 'st2_auth_username=ops\nst2_auth_users=alice ops:x'), /^inv\.ini:8: st2_auth_users lists "ops"/],
    ];
    for (const [text, message, env] of cases) {
      assert.throws(() => selectionOf(text, { env: env ?? {} }), (err: unknown) => err instanceof InventoryError && message.test(err.message) && !/s3cret|pa\$\$|other/.test(err.message), String(message));
    }
    const yamlCases: [string, RegExp][] = [
      [YAML('      bob: "two\\nlines"\n'), /^inv\.yml:3: st2_auth_users: the password of user "bob" holds a line break/],
      [YAML('      bob: [a, b]\n'), /^inv\.yml:3: st2_auth_users: the password of user "bob" is a list or mapping/],
      [YAML('      "a b": s3cret\n'), /^inv\.yml:3: st2_auth_users: entry 1 is not an st2auth user name/],
      [YAML('      - {name: alice}\n'), /^inv\.yml:3: st2_auth_users: item 1 is not a user name/],
    ];
    for (const [text, message] of yamlCases) {
      assert.throws(() => selectionOf(text, { yaml: true }), (err: unknown) => err instanceof InventoryError && message.test(err.message) && !err.message.includes('s3cret'), String(message));
    }
    assert.throws(() => selectionOf(BLUEPRINTS(2), { extraVars: { st2_auth_users: 'alice,bad/name:s3cret' } }), (err: unknown) => err instanceof UsageError && /^-e st2_auth_users: entry 2/.test(err.message) && !err.message.includes('s3cret'));
  });

  it('refuse two different passwords for one user on different hosts, without printing either', () => {
    const text = `${BLUEPRINTS(2)}[controller:vars]\nst2_auth_users=alice:first-pw\n[blueprint:vars]\nst2_auth_users=alice:second-pw\n`;
    assert.throws(() => selectionOf(text), (err: unknown) => /st2_auth_users is .* here but .* at inv\.ini:9: a cluster has one st2_auth_users/.test((err as Error).message) && !/first-pw|second-pw/.test((err as Error).message));
  });

  it('write every user into one htpasswd, byte for byte the same on every blueprint, each password checking against its line', () => {
    const selection = selectionOf(BLUEPRINTS(2, 'st2_auth_users=alice bob:env:BOB_PW carol'), { env: { BOB_PW: HOSTILE } });
    const kept = { st2_auth_password: 'admin-pw', st2_auth_salt: 'AbCd1234', [authUserSecret('alice')]: 'alice-pw', [authUserSecret('carol')]: 'alice-pw' };
    const files = ['b1', 'b2'].map((b) => htpasswd(hostOf(selection, b, kept)).reveal());
    assert.equal(files[0], files[1]);
    const lines = files[0]!.trimEnd().split('\n');
    assert.deepEqual(lines.map((l) => l.split(':')[0]), ['st2admin', 'alice', 'bob', 'carol']);
    const check = (line: string, password: string) => {
      const [, salt] = /^[^:]+:\$apr1\$([^$]{8})\$/.exec(line)!;
      return line.slice(line.indexOf(':') + 1) === apr1(password, salt!);
    };
    assert.ok(check(lines[0]!, 'admin-pw') && check(lines[1]!, 'alice-pw') && check(lines[2]!, HOSTILE) && check(lines[3]!, 'alice-pw'));
    assert.ok(!check(lines[2]!, 'wrong'));
    assert.equal(lines[0], `st2admin:${apr1('admin-pw', 'AbCd1234')}`, 'the admin line is as before the other users existed');
    assert.notEqual(lines[1]!.split(':')[1], lines[3]!.split(':')[1], 'one password, two users: two salts');
    // made once: the users without a password are among the secrets the first step keeps; a given one is given
    assert.ok(authUserSecret('alice') in clusterSecrets(selection.cluster) && authUserSecret('carol') in clusterSecrets(selection.cluster));
    assert.equal(givenSecret(selection, authUserSecret('bob'))!.reveal(), HOSTILE);
    assert.equal(givenSecret(selection, authUserSecret('alice')), undefined);
  });
});

describe('st2auth backends in st2.conf', () => {
  const LDAP = ['st2_auth_backend=ldap', 'st2_auth_ldap_host=ldap1.example.com, ldap2.example.com', 'st2_auth_ldap_bind_dn=CN=st2 bind,OU=svc,DC=example,DC=com',
    'st2_auth_ldap_bind_password=env:LDAP_PW', 'st2_auth_ldap_base_ou=OU=people,DC=example,DC=com', 'st2_auth_ldap_group_dns=CN=st2users,OU=groups,DC=example,DC=com; CN=st2ops,OU=groups,DC=example,DC=com'];

  /** What StackStorm does with the line: oslo.config reads the value (`$$` → `$`), the backend json.loads it. */
  const asStackStormReads = (conf: string) => JSON.parse(iniEntries(conf).get('auth.backend_kwargs')!.replace(/\$(\$|[A-Za-z_{])/g, (_m, c: string) => (c === '$' ? '$' : assert.fail(`oslo.config would substitute $${c}`)))) as Record<string, unknown>;
  const render = (selection: Selection) => renderTemplate('st2.conf.ejs', {
    features: { mistral: false, timersEngine: true, notifierScheduler: false }, node: { name: 'b1', timers: true }, controller: '10.0.3.10', lb_url: 'https://10.0.3.10',
    messaging_url: 'amqp://x', coordination_url: 'redis://x', auth: authBackend(hostOf(selection, 'b1', {})),
  });

  it('flat_file by default, reading the htpasswd', () => {
    const conf = render(selectionOf(BLUEPRINTS(2)));
    assert.match(conf, /^backend = flat_file\nbackend_kwargs = \{"file_path": "\/etc\/st2\/htpasswd"\}$/m);
  });

  it('ldap: every kwarg as st2-auth-ldap names it, the bind password escaped for JSON and oslo.config, the same on every blueprint', () => {
    const selection = selectionOf(BLUEPRINTS(2, LDAP.join('\n')), { env: { LDAP_PW: HOSTILE } });
    const conf = render(selection);
    assert.match(conf, /^backend = ldap$/m);
    assert.equal(conf.split('\n').filter((l) => l.startsWith('backend_kwargs = ')).length, 1, 'one line');
    assert.match(iniEntries(conf).get('auth.backend_kwargs')!, /^[\x20-\x7e]+$/, 'printable ASCII');
    assert.deepEqual(asStackStormReads(conf), {
      bind_password: HOSTILE, bind_dn: 'CN=st2 bind,OU=svc,DC=example,DC=com', base_ou: 'OU=people,DC=example,DC=com',
      group_dns: ['CN=st2users,OU=groups,DC=example,DC=com', 'CN=st2ops,OU=groups,DC=example,DC=com'], group_dns_check: 'and',
      host: 'ldap1.example.com,ldap2.example.com', port: 389, use_ssl: false, use_tls: false,
    });
    assert.equal(authBackend(hostOf(selection, 'b2', {})).kwargs, authBackend(hostOf(selection, 'b1', {})).kwargs);
    const withTls = selectionOf(BLUEPRINTS(2, [...LDAP, 'st2_auth_ldap_port=636', 'st2_auth_ldap_use_ssl=yes', 'st2_auth_ldap_cacert=/etc/ssl/ldap-ca.pem', 'st2_auth_ldap_id_attr=sAMAccountName', 'st2_auth_ldap_group_dns_check=or'].join('\n')), { env: { LDAP_PW: 'x' } });
    assert.deepEqual(Object.entries(asStackStormReads(render(withTls))).filter(([k]) => ['port', 'use_ssl', 'cacert', 'id_attr', 'group_dns_check'].includes(k)),
      [['group_dns_check', 'or'], ['port', 636], ['use_ssl', true], ['cacert', '/etc/ssl/ldap-ca.pem'], ['id_attr', 'sAMAccountName']]);
  });

  it('ldap: the bind password never shows in a diff of st2.conf, nor an old one st2prov never knew, whatever wrote it', () => {
    const ldap = render(selectionOf(BLUEPRINTS(2, LDAP.join('\n')), { env: { LDAP_PW: HOSTILE } }));
    const flat = render(selectionOf(BLUEPRINTS(2)));
    const handWritten = flat.replace(/^backend_kwargs = .*$/m, 'backend_kwargs = {"host": "ldap.example.com", "bind_password": "hand-\\"made$$pw", "BIND_PASS" : "another-pw", "port": 389}');
    const diffs = [
      unifiedDiff('/etc/st2/st2.conf', flat, ldap, false, redactAuthKwargs), // to LDAP
      unifiedDiff('/etc/st2/st2.conf', ldap.replace(/"bind_password":"[^]*?","bind_dn":"[^"]*"/, '"bind_password":"an-old-pw","bind_dn":"CN=old"'), ldap, false, redactAuthKwargs), // the password and the DN changed
      unifiedDiff('/etc/st2/st2.conf', handWritten, ldap, false, redactAuthKwargs),
      unifiedDiff('/etc/st2/st2.conf', handWritten, flat, false, redactAuthKwargs), // back to the htpasswd: no secret on the new line
    ];
    for (const diff of diffs) {
      for (const leak of ['$$HOME', '\\u00fc', 's\\\\s', 'an-old-pw', 'hand-', 'made', 'another-pw']) assert.ok(!diff.includes(leak), `${leak} in\n${diff}`);
      assert.match(diff, /^[-+]backend_kwargs = /m);
    }
    assert.match(diffs[0]!, /^\+backend_kwargs = \{"bind_password":"\*{8}","bind_dn":"CN=st2 bind,OU=svc,DC=example,DC=com",/m, 'the rest of the line stays readable');
    assert.match(diffs[3]!, /^-backend_kwargs = \{"host": "ldap\.example\.com", "bind_password": "\*{8}", "BIND_PASS" : "\*{8}", "port": 389\}$/m);
    assert.equal(redactAuthKwargs('password = not-a-kwargs-line'), 'password = not-a-kwargs-line');
  });

  it('ldap: refuse missing or contradictory settings with file:line, before any host', () => {
    const cases: [string[], RegExp][] = [
      [['st2_auth_backend=ldap'], /^inv\.ini:7: st2_auth_backend is ldap, but st2_auth_ldap_host, st2_auth_ldap_bind_dn, st2_auth_ldap_bind_password, st2_auth_ldap_base_ou, st2_auth_ldap_group_dns are not set/],
      [LDAP.filter((l) => !l.startsWith('st2_auth_ldap_bind_password')), /^inv\.ini:7: st2_auth_backend is ldap, but st2_auth_ldap_bind_password is not set/],
      [[...LDAP, 'st2_auth_ldap_use_ssl=yes', 'st2_auth_ldap_use_tls=yes'], /^inv\.ini:14: st2_auth_ldap_use_ssl and st2_auth_ldap_use_tls are both on/],
      [[...LDAP, 'st2_auth_ldap_host=ldap://x.example.com'], /^inv\.ini:13: st2_auth_ldap_host: "ldap:\/\/x\.example\.com" is not a host name/],
      [[...LDAP, 'st2_auth_ldap_port=0'], /^inv\.ini:13: st2_auth_ldap_port: "0" is not a whole number from 1 to 65535/],
      [['st2_auth_backend=kerberos'], /^inv\.ini:7: st2_auth_backend: "kerberos" is not one of flat_file, ldap/],
    ];
    for (const [vars, message] of cases) {
      assert.throws(() => selectionOf(BLUEPRINTS(2, vars.join('\n')), { env: { LDAP_PW: HOSTILE } }), (err: unknown) => err instanceof InventoryError && message.test(err.message) && !err.message.includes(HOSTILE), String(message));
    }
  });
});
