import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headerProblem, isSecretFile, isStateFile, modeProblem, ownerProblem, stateFileProblem, wholeProblems } from '../../../src/backup/contents.js';

describe('what a backup may hold', () => {
  it('modes: permission bits only, nothing writable by others; a folder may keep setgid', () => {
    for (const mode of ['0600', '0640', '0644', '0400', '0660', '0664', '0755', '0700', '0550']) assert.equal(modeProblem('file', mode), undefined, mode);
    for (const mode of ['0755', '0775', '2775', '2770', '0700']) assert.equal(modeProblem('dir', mode), undefined, mode);
    for (const mode of ['0666', '0777', '4755', '2755', '1644', '7777', '0646']) assert.match(modeProblem('file', mode)!, /is not one a backup holds/, mode);
    for (const mode of ['0777', '1777', '4755', '3775']) assert.match(modeProblem('dir', mode)!, /is not one a backup holds/, mode);
    for (const mode of ['u+s,o+w', '644', '00644', '0o644', '', '0x44', 644 as unknown as string, undefined]) assert.match(modeProblem('file', mode)!, /not four octal digits/, String(mode));
  });

  it('owners and groups: a plain name, or a number', () => {
    for (const o of ['root', 'st2', 'st2packs', '_apt', 'systemd-network', 'mongodb', 'user.name', 'machine$', '1001']) assert.equal(ownerProblem(o, 'owner'), undefined, o);
    for (const o of ['root:root', 'a b', '-rf', '', '../x', 'x'.repeat(40), 'é', 'a\nb', 5]) assert.match(ownerProblem(o, 'owner')!, /is not a plain name/, String(o));
  });

  it('entries: each kind in its place, with the fields of its kind', () => {
    const ok = [
      { name: 'mongodb/st2.archive.gz' },
      { name: 'state/secrets.json' },
      { name: 'state/blueprint-st2-multi-node-1-0a1b2c3d/blueprint.key' },
      { name: 'state/tier/names.json' },
      { name: 'files/etc/st2/htpasswd', mode: '0640', owner: 'root', group: 'st2' },
      { name: 'files/opt/stackstorm/configs/aws.yaml', mode: '0640', owner: 'root', group: 'root' },
      { name: 'dirs/opt/stackstorm/rbac', mode: '0755', owner: 'root', group: 'root' },
      { name: 'dirs/opt/stackstorm/rbac/roles', mode: '2775', owner: 'root', group: 'st2' },
      { name: 'links/opt/stackstorm/configs/x.yaml', owner: 'root', group: 'root', target: '../shared/x.yaml' },
      { name: 'files/opt/stackstorm/configs/aws é中.yaml', mode: '0640', owner: 'root', group: 'root' },
    ];
    for (const h of ok) assert.equal(headerProblem(h), undefined, h.name);
    const bad: [object, RegExp][] = [
      [{ name: 'mongodb/other.gz' }, /of no kind/],
      [{ name: 'state/owed-handlers.json' }, /not a file st2prov keeps/],
      [{ name: 'state/backup.key' }, /not a file st2prov keeps/],
      [{ name: 'state/datastore/stanley_rsa' }, /not a file st2prov keeps/],
      [{ name: 'state/../secrets.json' }, /not a file st2prov keeps/],
      [{ name: 'state/secrets.json', mode: '0600' }, /fields a backup's state entries do not \(mode\)/],
      [{ name: 'files/etc/shadow', mode: '0640', owner: 'root', group: 'root' }, /not material/],
      [{ name: 'files/opt/stackstorm/configs', mode: '0640', owner: 'root', group: 'root' }, /a material folder, held as a file/],
      [{ name: 'dirs/etc/st2/htpasswd', mode: '0755', owner: 'root', group: 'root' }, /a material file, held as a folder/],
      [{ name: 'links/opt/stackstorm/rbac', owner: 'root', group: 'root', target: '/etc' }, /a link where a backup holds only a file or a folder/],
      [{ name: 'links/opt/stackstorm/rbac/x', owner: 'root', group: 'root' }, /a link without a target/],
      [{ name: 'links/opt/stackstorm/rbac/x', owner: 'root', group: 'root', target: 'a', mode: '0777' }, /fields .* \(mode\)/],
      [{ name: 'files/opt/stackstorm/configs/x', owner: 'root', group: 'root' }, /its mode is missing or is not four octal digits/],
      [{ name: 'files/opt/stackstorm/configs/./x', mode: '0640', owner: 'root', group: 'root' }, /not a plain absolute path/],
      [{ name: 'files/opt/stackstorm/configs/x/', mode: '0640', owner: 'root', group: 'root' }, /not a plain absolute path/],
      [{ name: 'files/opt/stackstorm/configs/\u202egnp.yaml', mode: '0640', owner: 'root', group: 'root' }, /control characters/],
      [{ name: 'files/opt/stackstorm/configs/\ud800.yaml', mode: '0640', owner: 'root', group: 'root' }, /not UTF-8 text/],
      [{ name: `files/opt/stackstorm/configs/${'a'.repeat(5000)}`, mode: '0640', owner: 'root', group: 'root' }, /longer than 4096 bytes/],
      [{ name: 5 }, /has no name/],
      [null as unknown as object, /has no header/],
    ];
    for (const [h, message] of bad) assert.match(headerProblem(h) ?? 'accepted', message, JSON.stringify(h));
  });

  it('the tree: every entry under a folder it holds, none under a link or a file, no path twice, one dump', () => {
    const good = ['mongodb/st2.archive.gz', 'dirs/opt/stackstorm/configs', 'dirs/opt/stackstorm/configs/sub', 'files/opt/stackstorm/configs/sub/a.yaml', 'links/opt/stackstorm/configs/b.yaml', 'files/etc/st2/htpasswd'];
    assert.deepEqual(wholeProblems(good), []);
    assert.deepEqual(wholeProblems([...good, 'files/opt/stackstorm/configs/b.yaml/c', 'files/opt/stackstorm/configs/sub/a.yaml/d', 'files/opt/stackstorm/rbac/x', 'links/opt/stackstorm/configs/sub', 'mongodb/st2.archive.gz']), [
      'it holds "/opt/stackstorm/configs/sub" twice',
      'it holds "mongodb/st2.archive.gz" twice',
      'it holds "/opt/stackstorm/configs/sub/a.yaml" (a file) under a link',
      'it holds "/opt/stackstorm/configs/b.yaml/c" (a file) under a link',
      'it holds "/opt/stackstorm/configs/sub/a.yaml/d" (a file) under a file',
      'it holds "/opt/stackstorm/rbac/x" (a file) under a folder it does not hold',
      'it holds more than one MongoDB dump',
    ]);
  });

  it('the state folder: the files st2prov makes, in the shape it reads them', () => {
    for (const rel of ['secrets.json', 'datastore/datastore_key.json', 'stanley/stanley_rsa', 'stanley/stanley_rsa.pub', 'tls/st2.key', 'cluster-ca/ca.crt', 'tier/names.json', 'blueprint-bp_1-deadbeef/blueprint.crt']) assert.ok(isStateFile(rel), rel);
    for (const rel of ['owed-handlers.json', 'backup.key', 'README', 'datastore/x', 'stanley/stanley_rsa/x', 'blueprint-x-nothex00/blueprint.crt']) assert.ok(!isStateFile(rel), rel);
    const shape = (rel: string, text: string | Buffer) => stateFileProblem(rel, Buffer.from(text));
    assert.equal(shape('secrets.json', '{"rabbitmq_password":"x","st2_auth_users.ops@example.com":"y"}'), undefined);
    assert.match(shape('secrets.json', '{"a":1}')!, /the value of "a" is a number, not the text of a secret/);
    assert.match(shape('secrets.json', '{"a b":"x"}')!, /1 of its names is not a secret's name/);
    assert.match(shape('secrets.json', 'null')!, /not a map of secret names to their values/);
    assert.match(shape('secrets.json', Buffer.from([0xff]))!, /not text/);
    assert.equal(shape('tier/names.json', '{"replicaSet":"st2-a","sentinelMaster":"st2-a","vrrpRouterId":7}'), undefined);
    assert.match(shape('tier/names.json', '{"replicaSet":"st2-a","sentinelMaster":"st2-a","vrrpRouterId":700}')!, /tier's names/);
    assert.equal(shape('stanley/stanley_rsa.pub', 'ssh-rsa AAAAB3Nza== stanley@st2\n'), undefined);
    assert.match(shape('stanley/stanley_rsa.pub', 'ssh-rsa AAAA\nssh-rsa BBBB\n')!, /not an OpenSSH public key/);
    assert.equal(shape('cluster-ca/ca.key', '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n'), undefined);
    assert.equal(shape('stanley/stanley_rsa', '-----BEGIN RSA PRIVATE KEY-----\nMIIE\n'), undefined);
    assert.match(shape('tls/st2.crt', 'hello')!, /not a PEM certificate/);
  });

  it('treats every file but the public key and RBAC as a secret', () => {
    assert.ok(isSecretFile('/opt/stackstorm/configs/aws.yaml'));
    assert.ok(isSecretFile('/home/stanley/.ssh/stanley_rsa'));
    assert.ok(!isSecretFile('/home/stanley/.ssh/stanley_rsa.pub'));
    assert.ok(!isSecretFile('/opt/stackstorm/rbac/roles/ops.yaml'));
  });
});
