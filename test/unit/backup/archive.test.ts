import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { finished } from 'node:stream/promises';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { manifestDifferences, openBackupFile, writeBackupFile, type Manifest } from '../../../src/backup/archive.js';
import { keyId, type BackupKey } from '../../../src/backup/backupKey.js';
import { backupBytes, testKey, type TestEntry } from '../../harness/backupFiles.js';
import { tempDir } from '../../harness/tempDir.js';

const KEY = testKey('archive');
const key: BackupKey = { key: KEY, id: keyId(KEY), from: '/state/backup.key' };
const DATASTORE = '{"hmacKey":{"hmacKeyString":"SECRET-HMAC"},"aesKeyString":"SECRET-AES"}';
const manifest = (): Omit<Manifest, 'keyId'> => ({
  st2provVersion: '0.1.0',
  st2Version: '3.8.1',
  hosts: [{ name: 'cntl', role: 'controller' }, { name: 'bp1', role: 'blueprint' }, { name: 'bp2', role: 'blueprint' }],
  createdAt: '2026-11-26T00:00:00.000Z',
  mongodbFrom: 'cntl',
  materialFrom: 'bp1',
});
const DUMP = Buffer.from([0x1f, 0x8b, 0, 1, 2, 255, 0]);
const entries = (): TestEntry[] => [
  { header: { name: 'state/secrets.json' }, data: '{"rabbitmq_password":"SECRET-RABBIT","st2_auth_users.ops@x":"p"}\n' },
  { header: { name: 'state/datastore/datastore_key.json' }, data: DATASTORE },
  { header: { name: 'dirs/opt/stackstorm/configs', mode: '0755', owner: 'root', group: 'st2packs' } },
  { header: { name: 'files/etc/st2/keys/datastore_key.json', mode: '0640', owner: 'root', group: 'st2' }, data: DATASTORE },
  { header: { name: 'files/opt/stackstorm/configs/empty.yaml', mode: '0640', owner: 'root', group: 'root' }, data: '' },
  { header: { name: 'links/opt/stackstorm/configs/aws.yaml', owner: 'root', group: 'root', target: 'empty.yaml' } },
  { header: { name: 'dirs/opt/stackstorm/rbac', mode: '2775', owner: 'root', group: 'st2' } },
  { header: { name: 'mongodb/st2.archive.gz' }, data: DUMP },
];

/** A backup file in a fresh folder. */
async function file(bytes: Buffer | Promise<Buffer>): Promise<string> {
  const path = join(tempDir('archive'), 'cluster.st2backup');
  writeFileSync(path, await bytes);
  return path;
}

async function open(path: string, k: BackupKey | undefined = key) {
  const backup = await openBackupFile(path, k, 'the state folder /state has no backup key');
  try {
    const dump: Buffer[] = [];
    for await (const c of backup.dump.open()) dump.push(c as Buffer);
    return { ...backup, dumpBytes: Buffer.concat(dump) };
  } finally {
    await backup.close();
  }
}

/** openBackupFile refuses `bytes` (exit 1) with a message matching `message`, the file named, no control character printed. */
async function refused(bytes: Buffer | Promise<Buffer>, message: RegExp, k: BackupKey | undefined = key): Promise<void> {
  const path = await file(bytes);
  await assert.rejects(openBackupFile(path, k, 'the state folder /state has no backup key'), (err: Error & { exitCode?: number; remedy?: string }) => {
    assert.equal(err.exitCode, 1, err.stack);
    assert.ok(err.message.startsWith(`${path} `), err.message);
    assert.match(err.message, message);
    assert.doesNotMatch(err.message + (err.remedy ?? ''), /[\u0000-\u001f\u007f-\u009f]/, 'no control character is printed');
    assert.ok(!/SECRET/.test(err.message), 'nothing of the backup is shown');
    return true;
  });
}

const crafted = (change: (e: TestEntry[]) => TestEntry[], signWith = KEY) => backupBytes(manifest(), change(entries()), KEY, signWith);

describe('a backup file: written 0600 as it streams, never replacing one', () => {
  it('is created 0600 (whatever the umask), whole, with a dump streamed into it, and never replaces a file', async () => {
    const dir = tempDir('backup');
    const path = join(dir, 'cluster.st2backup');
    const dump = Buffer.alloc(3 * 1024 * 1024 + 5, 'd');
    const old = process.umask(0);
    let size: number;
    try {
      size = await writeBackupFile(path, key, { ...manifest(), keyId: key.id }, async (w) => {
        for (const e of entries().slice(0, -1)) await w.entry(e.header, e.data === undefined ? undefined : Buffer.from(e.data));
        const sink = w.entryStream({ name: 'mongodb/st2.archive.gz' });
        for (let at = 0; at < dump.length; at += 65536) if (!sink.write(dump.subarray(at, at + 65536))) await new Promise((r) => sink.once('drain', r));
        sink.end();
        await finished(sink);
      });
    } finally {
      process.umask(old);
    }
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(path).size, size);
    const back = await open(path);
    assert.ok(back.dumpBytes.equals(dump));
    assert.equal(back.dump.size, dump.length);
    assert.equal(back.dump.sha256, createHash('sha256').update(dump).digest('hex'));
    writeFileSync(join(dir, 'other'), 'mine');
    await assert.rejects(writeBackupFile(join(dir, 'other'), key, { ...manifest(), keyId: key.id }, async () => undefined), (err: Error & { exitCode?: number }) => err.exitCode === 1 && /other exists/.test(err.message));
    assert.equal(readFileSync(join(dir, 'other'), 'utf8'), 'mine');
    // what fails while it is written leaves nothing
    await assert.rejects(writeBackupFile(join(dir, 'failed.st2backup'), key, { ...manifest(), keyId: key.id }, async () => {
      throw new Error('mongodump died');
    }), /mongodump died/);
    assert.deepEqual(readdirSync(dir).sort(), ['cluster.st2backup', 'other'], 'no temp file left behind, no half backup');
    await assert.rejects(writeBackupFile(join(dir, 'no-such-folder', 'x.st2backup'), key, { ...manifest(), keyId: key.id }, async () => undefined), (err: Error & { exitCode?: number }) => err.exitCode === 1 && /cannot write .*x\.st2backup: ENOENT/.test(err.message));
  });
});

describe('a backup file, read for a restore: all of it verified before anything is written', () => {
  it('gives back the manifest, every entry held (state, files, folders, links) and the dump left in the file', async () => {
    const back = await open(await file(backupBytes(manifest(), entries(), KEY)));
    assert.deepEqual(back.manifest, { ...manifest(), keyId: key.id });
    assert.deepEqual(back.entries.map((e) => [e.name, e.data.toString(), e.mode, e.owner, e.group, e.target]), entries().slice(0, -1).map((e) => [e.header.name, String(e.data ?? ''), e.header.mode, e.header.owner, e.header.group, e.header.target]));
    assert.ok(back.dumpBytes.equals(DUMP));
  });

  it('refuses what is not a regular file at once: /dev/zero, a pipe, a folder', async () => {
    await assert.rejects(openBackupFile('/dev/zero', key, ''), /\/dev\/zero is not an st2prov backup: it is not a regular file \(a device\)/);
    const dir = tempDir('fifo');
    assert.equal(spawnSync('mkfifo', [join(dir, 'pipe')]).status, 0);
    await assert.rejects(openBackupFile(join(dir, 'pipe'), key, ''), /pipe is not an st2prov backup: it is not a regular file \(a pipe\)/);
    await assert.rejects(openBackupFile(dir, key, ''), /is not an st2prov backup: it is not a regular file \(a folder\)/);
    await assert.rejects(openBackupFile(join(dir, 'missing'), key, ''), /missing does not exist/);
  });

  it('refuses one cut short anywhere, and one with a flipped byte', async () => {
    const good = await backupBytes(manifest(), entries(), KEY);
    for (const cut of [10, 30, 200, good.length - 60, good.length - 1]) await refused(good.subarray(0, cut), /is (a damaged|not an) st2prov backup/);
    const flipped = Buffer.from(good);
    flipped[good.indexOf('SECRET-RABBIT')] ^= 1;
    await refused(flipped, /is a damaged st2prov backup: "state\/secrets\.json" does not match its checksum/);
  });

  it('refuses another cluster\'s backup (another key), naming both keys and the remedy', async () => {
    const other = testKey('another cluster');
    await refused(backupBytes(manifest(), entries(), other), new RegExp(`was written with the backup key ${keyId(other)}, not with this cluster's \\(${key.id}, /state/backup\\.key\\): it is another cluster's backup`));
  });

  it('refuses a planted or altered file: the manifest names our key, the MAC is not ours', async () => {
    await refused(crafted((e) => [...e, { header: { name: 'files/opt/stackstorm/configs/planted.yaml', mode: '0640', owner: 'root', group: 'root' }, data: 'x: 1\n' }], testKey('forger')),
      /does not match its MAC: it was changed after st2prov wrote it/);
  });

  it('refuses it without a key, naming the key it needs and --backup-key', async () => {
    const path = await file(backupBytes(manifest(), entries(), KEY));
    await assert.rejects(openBackupFile(path, undefined, 'the state folder /state has no backup key'), (err: Error & { remedy?: string }) => {
      assert.match(err.message, new RegExp(`is authenticated with the backup key ${key.id}, and the state folder /state has no backup key`));
      assert.match(err.remedy!, /--backup-key FILE/);
      return true;
    });
  });

  it('refuses format 1, and a gzip bomb under either format line, from their first bytes', async () => {
    await refused(Buffer.concat([Buffer.from('st2prov-backup 1\n'), gzipSync('{"format":1}\n')]), /format 1, which this st2prov does not restore/);
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => gzipSync(Buffer.alloc(16 << 20)))); // ~1 MB, 1 GiB inflated
    await refused(Buffer.concat([Buffer.from('st2prov-backup 1\n'), bomb]), /format 1/);
    await refused(Buffer.concat([Buffer.from('st2prov-backup 2\n'), bomb]), /damaged st2prov backup: byte 17 starts a part of unknown kind/);
  });

  describe('refuses a crafted file even with a valid MAC (what backup never writes), naming it', () => {
    const is = (what: string, change: (e: TestEntry[]) => TestEntry[], message: RegExp) => it(what, () => refused(crafted(change), message));
    const add = (...more: TestEntry[]) => (e: TestEntry[]) => [...e, ...more];
    const file = (name: string, mode = '0640', owner = 'root', group = 'root', data = 'a: 1\n'): TestEntry => ({ header: { name, mode, owner, group }, data });

    is('a state file nested deeper than st2prov keeps its material', add({ header: { name: 'state/datastore/deeper/key.json' }, data: '{}' }), /"state\/datastore\/deeper\/key\.json": it is not a file st2prov keeps in its state folder/);
    is('a state file st2prov never makes', add({ header: { name: 'state/authorized_keys' }, data: 'x' }), /"state\/authorized_keys": it is not a file st2prov keeps/);
    is('mode u+s,o+w', add(file('files/opt/stackstorm/configs/x.yaml', 'u+s,o+w')), /its mode "u\+s,o\+w" is not four octal digits/);
    is('mode 7777', add(file('files/opt/stackstorm/configs/x.yaml', '7777')), /its mode 7777 is not one a backup holds/);
    is('a setuid file', add(file('files/opt/stackstorm/configs/x.yaml', '4755')), /its mode 4755 is not one a backup holds/);
    is('a file writable by others', add(file('files/opt/stackstorm/configs/x.yaml', '0666')), /its mode 0666 is not one a backup holds/);
    is('a folder writable by others', add({ header: { name: 'dirs/opt/stackstorm/configs/d', mode: '0777', owner: 'root', group: 'root' } }), /its mode 0777 is not one a backup holds \(a folder/);
    is('an owner that is not a plain name', add(file('files/opt/stackstorm/configs/x.yaml', '0640', 'root:root')), /its owner "root:root" is not a plain name/);
    is('a group with a space', add(file('files/opt/stackstorm/configs/x.yaml', '0640', 'root', 'a b')), /its group "a b" is not a plain name/);
    is('the same name twice', add(file('files/opt/stackstorm/configs/empty.yaml')), /it holds "\/opt\/stackstorm\/configs\/empty\.yaml" twice/);
    is('one path as two kinds', add({ header: { name: 'dirs/opt/stackstorm/configs/empty.yaml', mode: '0755', owner: 'root', group: 'root' } }), /"\/opt\/stackstorm\/configs\/empty\.yaml" twice/);
    is('the dump twice', add({ header: { name: 'mongodb/st2.archive.gz' }, data: 'again' }), /"mongodb\/st2\.archive\.gz" twice/);
    is('no dump', (e) => e.filter((x) => !x.header.name.startsWith('mongodb/')), /it holds no MongoDB dump/);
    is('an entry of no kind a backup holds', add({ header: { name: 'elsewhere/x' }, data: 'x' }), /"elsewhere\/x": it is of no kind a backup holds/);
    is('a file backups never hold (a root write anywhere)', add(file('files/root/.ssh/authorized_keys')), /"files\/root\/\.ssh\/authorized_keys": it is not material st2prov backs up/);
    is('a folder beside the material', add({ header: { name: 'dirs/opt/stackstorm/configsX', mode: '0755', owner: 'root', group: 'root' } }), /it is not material st2prov backs up/);
    is('a name that climbs out', add(file('files/opt/stackstorm/configs/../../../etc/cron.d/x')), /its path is not a plain absolute path/);
    is('raw escape codes in a name', add(file('files/opt/stackstorm/configs/\x1b[2J\x1b[31mred.yaml')), /"files\/opt\/stackstorm\/configs\/\\x1b\[2J\\x1b\[31mred\.yaml": its name holds control characters/);
    is('a newline in a name', add(file('files/opt/stackstorm/configs/a\nb.yaml')), /configs\/a\\x0ab\.yaml": its name holds control characters/);
    is('a link where a material file belongs', add({ header: { name: 'links/etc/st2/htpasswd', owner: 'root', group: 'root', target: '/tmp/x' } }), /it is a link where a backup holds only a file or a folder/);
    is('a file under a link (written through it)', add(file('files/opt/stackstorm/configs/aws.yaml/evil')), /"\/opt\/stackstorm\/configs\/aws\.yaml\/evil" \(a file\) under a link/);
    is('a file under a folder it does not hold', add(file('files/opt/stackstorm/configs/sub/x.yaml')), /under a folder it does not hold/);
    is('a link target with escape codes', add({ header: { name: 'links/opt/stackstorm/configs/l', owner: 'root', group: 'root', target: '\x1b]0;x\x07' } }), /its link target holds control characters/);
    is('a header with fields backups do not have', add({ header: { name: 'files/opt/stackstorm/configs/x.yaml', mode: '0640', owner: 'root', group: 'root', setuid: true } as never, data: 'x' }), /its header has fields a backup's file entries do not \(setuid\)/);
    is('a secrets.json of the wrong types', (e) => [{ header: { name: 'state/secrets.json' }, data: '{"rabbitmq_password": 5, "redis_password": ["a"]}' }, ...e.slice(1)], /"state\/secrets\.json" is not st2prov's secrets: the value of "rabbitmq_password" is a number, not the text of a secret/);
    is('a secrets.json that is a list', (e) => [{ header: { name: 'state/secrets.json' }, data: '["a"]' }, ...e.slice(1)], /is not st2prov's secrets: it holds a list, not a map of secret names/);
    is('a datastore key that is not one', (e) => [e[0]!, { header: { name: 'state/datastore/datastore_key.json' }, data: '{"aesKeyString": 1}' }, ...e.slice(2)], /is not a datastore key/);
    is('a private key that is not PEM', add({ header: { name: 'state/stanley/stanley_rsa' }, data: 'ssh-rsa AAAA' }), /"state\/stanley\/stanley_rsa" is not a PEM private key/);
    is('a material file that is not text (restore writes text)', add({ header: { name: 'files/opt/stackstorm/configs/b.bin', mode: '0640', owner: 'root', group: 'root' }, data: Buffer.from([0xff, 0xfe, 0]) }), /is not text \(UTF-8\)/);
    is('a state file larger than st2prov makes', (e) => [{ header: { name: 'state/secrets.json' }, data: Buffer.alloc(1024 * 1024 + 1, 0x20) }, ...e.slice(1)], /entry "state\/secrets\.json" is larger than a backup holds/);
    is('a folder with bytes', add({ header: { name: 'dirs/opt/stackstorm/configs/d', mode: '0755', owner: 'root', group: 'root' }, data: 'x' }), /larger than a backup holds \(over 0 bytes\)/);
    it('a manifest with other fields, or a host that is not a name', async () => {
      await refused(backupBytes({ ...manifest(), extra: 1 } as never, entries(), KEY), /its manifest has other fields than a backup's \(extra\)/);
      await refused(backupBytes({ ...manifest(), hosts: [{ name: 'a\x1b[2J', role: 'controller' }] }, entries(), KEY), /its manifest has a host that is not a name and a role/);
    });
  });
});

describe('a backup against the inventory it is restored with', () => {
  const m = { ...manifest(), keyId: key.id };
  const hosts = m.hosts.map((h) => ({ name: h.name, role: h.role ?? undefined }));
  it('matches the same hosts, roles and st2 version', () => {
    assert.deepEqual(manifestDifferences(m, hosts, '3.8.1'), []);
  });
  it('names each difference: hosts missing or added, a role changed, another st2 version', () => {
    const other = [{ name: 'cntl', role: 'blueprint' as const }, { name: 'bp1', role: 'blueprint' as const }, { name: 'bp3', role: 'blueprint' as const }];
    assert.deepEqual(manifestDifferences(m, other, '3.9.0'), [
      "the backup's hosts bp2 are not in the inventory",
      "the inventory's hosts bp3 are not in the backup",
      'cntl is a controller in the backup, a blueprint in the inventory',
      "the backup is of st2 3.8.1, the inventory's st2_version is 3.9.0",
    ]);
  });
});

describe('the restore plays, from a backup', () => {
  it('put back every folder, link and file but st2.conf (apply makes it), secrets as secrets, with their modes and owners', async () => {
    const { restorePlays } = await import('../../../playbooks/restore.js');
    const path = await file(backupBytes(manifest(), [...entries(), { header: { name: 'files/etc/st2/st2.conf', mode: '0644', owner: 'root', group: 'root' }, data: '[api]\n' }], KEY));
    const b = await openBackupFile(path, key, '');
    try {
      const [mongo, blueprint] = restorePlays(b);
      assert.equal(mongo!.hosts, 'controller');
      assert.equal(blueprint!.hosts, 'blueprint');
      assert.equal(blueprint!.needs, 'controller', 'the database is back before st2 restarts');
      const ops = (blueprint!.steps[0] as unknown as { run: (h: unknown) => { title: string }[] }).run({});
      assert.deepEqual(ops.map((o) => o.title), ['directory /opt/stackstorm/configs', 'directory /opt/stackstorm/rbac', 'link /opt/stackstorm/configs/aws.yaml', 'file /etc/st2/keys/datastore_key.json', 'file /opt/stackstorm/configs/empty.yaml']);
      assert.ok(blueprint!.steps[1]!.rolling, 'st2 restarts in turns, drained');
    } finally {
      await b.close();
    }
  });
});
