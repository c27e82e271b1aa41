import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { decodeBackup, encodeBackup, manifestDifferences, readBackupFile, writeBackupFile, type Backup } from '../../../src/backup/archive.js';
import { isSecretFile, parseMaterial } from '../../../src/backup/cluster.js';
import { tempDir } from '../../harness/tempDir.js';

const KEY = '{"hmacKey":{"hmacKeyString":"SECRET-HMAC"},"aesKeyString":"SECRET-AES"}';
const backup = (): Backup => ({
  manifest: {
    st2provVersion: '0.1.0',
    st2Version: '3.8.1',
    hosts: [{ name: 'cntl', role: 'controller' }, { name: 'bp1', role: 'blueprint' }, { name: 'bp2', role: 'blueprint' }],
    createdAt: '2026-11-26T00:00:00.000Z',
    mongodbFrom: 'cntl',
    materialFrom: 'bp1',
  },
  entries: [
    { name: 'state/secrets.json', data: Buffer.from('{"rabbitmq_password":"SECRET-RABBIT"}\n') },
    { name: 'state/datastore/datastore_key.json', data: Buffer.from(KEY) },
    { name: 'mongodb/st2.archive.gz', data: Buffer.from([0x1f, 0x8b, 0, 1, 2, 255, 0]) },
    { name: 'dirs/opt/stackstorm/configs', data: Buffer.alloc(0), mode: '0755', owner: 'root', group: 'st2packs' },
    { name: 'files/etc/st2/keys/datastore_key.json', data: Buffer.from(KEY), mode: '0640', owner: 'root', group: 'st2' },
    { name: 'files/opt/stackstorm/configs/empty.yaml', data: Buffer.alloc(0), mode: '0640', owner: 'root', group: 'root' },
  ],
});

describe('the backup file', () => {
  it('round-trips every entry byte for byte, with modes and owners, and the manifest', () => {
    const b = backup();
    const back = decodeBackup(encodeBackup(b), 'x');
    assert.deepEqual(back.manifest, b.manifest);
    assert.deepEqual(back.entries.map((e) => [e.name, e.data.toString('hex'), e.mode, e.owner, e.group]), b.entries.map((e) => [e.name, e.data.toString('hex'), e.mode, e.owner, e.group]));
  });

  it('starts with a line naming its format; what follows is one gzip stream', () => {
    const bytes = encodeBackup(backup());
    assert.equal(bytes.subarray(0, 17).toString('latin1'), 'st2prov-backup 1\n');
    assert.deepEqual([...bytes.subarray(17, 19)], [0x1f, 0x8b]);
  });

  it('refuses a file that is not one, naming it', () => {
    for (const bytes of [Buffer.from('[controller]\nc1\n'), gzipSync('st2prov-backup 1\n{}'), Buffer.alloc(0)]) {
      assert.throws(() => decodeBackup(bytes, '/tmp/inventory.ini'), (err: Error & { exitCode?: number }) => err.exitCode === 1 && /\/tmp\/inventory\.ini is not an st2prov backup/.test(err.message));
    }
    assert.throws(() => decodeBackup(Buffer.from('st2prov-backup 7\n'), 'f'), /f is an st2prov backup of format 7; this st2prov reads format 1/);
  });

  it('refuses a damaged one: cut, a flipped byte, bytes added, a checksum that does not match, a name that climbs out', () => {
    const good = encodeBackup(backup());
    const flipped = Buffer.from(good);
    flipped[good.length - 12]! ^= 0xff;
    const damaged = (bytes: Buffer) => assert.throws(() => decodeBackup(bytes, 'b.st2backup'), (err: Error & { exitCode?: number }) => err.exitCode === 1 && /b\.st2backup is a damaged st2prov backup/.test(err.message));
    damaged(good.subarray(0, good.length - 30));
    damaged(good.subarray(0, 40));
    damaged(flipped);
    const raw = (header: object, data: Buffer) => Buffer.concat([Buffer.from('st2prov-backup 1\n'), gzipSync(Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), data]))]);
    const manifest = backup().manifest;
    damaged(raw({ format: 1, manifest, entries: [{ name: 'state/a', size: 3, sha256: '00' }] }, Buffer.from('abc')));
    damaged(raw({ format: 1, manifest, entries: [] }, Buffer.from('trailing')));
    damaged(raw({ format: 1, manifest, entries: [{ name: 'state/a', size: 5, sha256: '00' }] }, Buffer.from('abc')));
    const sha = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'; // of "abc"
    assert.equal(decodeBackup(raw({ format: 1, manifest, entries: [{ name: 'state/a', size: 3, sha256: sha }] }, Buffer.from('abc')), 'ok').entries[0]!.data.toString(), 'abc');
    for (const name of ['state/../../.ssh/authorized_keys', 'files/etc/../../x', 'elsewhere/x', 'files//etc/x']) damaged(raw({ format: 1, manifest, entries: [{ name, size: 3, sha256: sha }] }, Buffer.from('abc')));
  });

  it('is created 0600 (whatever the umask), whole, and never replaces a file', () => {
    const dir = tempDir('backup');
    const path = join(dir, 'cluster.st2backup');
    const old = process.umask(0);
    try {
      writeBackupFile(path, encodeBackup(backup()));
    } finally {
      process.umask(old);
    }
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(readBackupFile(path).manifest, backup().manifest);
    writeFileSync(join(dir, 'other'), 'mine');
    assert.throws(() => writeBackupFile(join(dir, 'other'), Buffer.from('x')), (err: Error & { exitCode?: number }) => err.exitCode === 1 && /other exists/.test(err.message));
    assert.equal(readFileSync(join(dir, 'other'), 'utf8'), 'mine');
    assert.deepEqual(readdirSync(dir).sort(), ['cluster.st2backup', 'other'], 'no temp file left behind');
    assert.throws(() => readBackupFile(join(dir, 'missing')), /missing does not exist/);
    assert.ok(!existsSync(join(dir, 'missing')));
  });
});

describe('a backup against the inventory it is restored with', () => {
  const hosts = backup().manifest.hosts.map((h) => ({ name: h.name, role: h.role ?? undefined }));
  it('matches the same hosts, roles and st2 version', () => {
    assert.deepEqual(manifestDifferences(backup().manifest, hosts, '3.8.1'), []);
  });
  it('names each difference: hosts missing or added, a role changed, another st2 version', () => {
    const other = [{ name: 'cntl', role: 'blueprint' as const }, { name: 'bp1', role: 'blueprint' as const }, { name: 'bp3', role: 'blueprint' as const }];
    assert.deepEqual(manifestDifferences(backup().manifest, other, '3.9.0'), [
      "the backup's hosts bp2 are not in the inventory",
      "the inventory's hosts bp3 are not in the backup",
      'cntl is a controller in the backup, a blueprint in the inventory',
      "the backup is of st2 3.8.1, the inventory's st2_version is 3.9.0",
    ]);
  });
});

describe('the material listing read from a blueprint', () => {
  it('parses files and folders with any bytes in names and content', () => {
    const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');
    const name = '/opt/stackstorm/configs/we ird\nname.yaml';
    const content = Buffer.from([0, 1, 2, 0xff, 0x0a]);
    const entries = parseMaterial(`d ${b64('/opt/stackstorm/configs')} 755 root st2packs \nf ${b64(name)} 640 root root ${b64(content)}\nf ${b64('/etc/st2/htpasswd')} 640 root st2 \n`);
    assert.deepEqual(entries.map((e) => [e.name, e.mode, e.owner, e.group]), [
      ['dirs/opt/stackstorm/configs', '0755', 'root', 'st2packs'],
      [`files${name}`, '0640', 'root', 'root'],
      ['files/etc/st2/htpasswd', '0640', 'root', 'st2'],
    ]);
    assert.deepEqual(entries[1]!.data, content);
    assert.equal(entries[2]!.data.length, 0);
    assert.throws(() => parseMaterial('x garbage\n'), /does not parse/);
  });

  it('treats every file but the public key and RBAC as a secret', () => {
    assert.ok(isSecretFile('/opt/stackstorm/configs/aws.yaml'));
    assert.ok(isSecretFile('/home/stanley/.ssh/stanley_rsa'));
    assert.ok(!isSecretFile('/home/stanley/.ssh/stanley_rsa.pub'));
    assert.ok(!isSecretFile('/opt/stackstorm/rbac/roles/ops.yaml'));
  });
});

describe('the restore plays, from a backup', () => {
  it('put back every folder and file but st2.conf (apply makes it), secrets as secrets, with their modes and owners', async () => {
    const { restorePlays } = await import('../../../playbooks/restore.js');
    const b = backup();
    b.entries.push({ name: 'files/etc/st2/st2.conf', data: Buffer.from('[api]\n'), mode: '0640', owner: 'root', group: 'st2' });
    const [mongo, blueprint] = restorePlays(b);
    assert.equal(mongo!.hosts, 'controller');
    assert.equal(blueprint!.hosts, 'blueprint');
    assert.equal(blueprint!.needs, 'controller', 'the database is back before st2 restarts');
    const ops = (blueprint!.steps[0] as unknown as { run: (h: unknown) => { title: string }[] }).run({});
    assert.deepEqual(ops.map((o) => o.title), ['directory /opt/stackstorm/configs', 'file /etc/st2/keys/datastore_key.json', 'file /opt/stackstorm/configs/empty.yaml']);
    assert.ok(blueprint!.steps[1]!.rolling, 'st2 restarts in turns, drained');
  });
});
