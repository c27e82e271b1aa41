import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import type { Manifest } from '../../../src/backup/archive.js';
import { keyId } from '../../../src/backup/backupKey.js';
import { backupBytes, folderSnapshot, testKey, type TestEntry } from '../../harness/backupFiles.js';
import { st2prov } from '../../harness/cli.js';
import { tempDir } from '../../harness/tempDir.js';

/** An inventory of hosts on TEST-NET-1 (192.0.2.0/24), which nothing answers: a run that contacted one would say unreachable. */
const inventory = (blueprints = ['b1']) => {
  const dir = tempDir('backup');
  const file = join(dir, 'inventory.ini');
  writeFileSync(file, `[controller]\nc1 ansible_host=192.0.2.1\n[blueprint]\n${blueprints.map((b, i) => `${b} ansible_host=192.0.2.${11 + i}`).join('\n')}\n`);
  return { dir, file, state: join(dir, 'inventory.st2prov') };
};

const SECRET = 'kept-SECRET-value-9f3a';
const KEPT = 'what-the-STATE-folder-keeps-1c2d';
const KEY = testKey('cluster');
const DATASTORE = (v: string) => `{"hmacKey":{"hmacKeyString":"${v}"},"aesKeyString":"${v}"}`;
const HOSTS: Manifest['hosts'] = [{ name: 'c1', role: 'controller' }, { name: 'b1', role: 'blueprint' }];
const manifest = (hosts = HOSTS, st2Version = '3.8.1') => ({ st2provVersion: '0.1.0', st2Version, hosts, createdAt: '2026-11-26T00:00:00.000Z', mongodbFrom: 'c1', materialFrom: 'b1' });
const ENTRIES = (): TestEntry[] => [
  { header: { name: 'state/secrets.json' }, data: `{"rabbitmq_password":"${SECRET}"}\n` },
  { header: { name: 'state/datastore/datastore_key.json' }, data: DATASTORE(SECRET) },
  { header: { name: 'mongodb/st2.archive.gz' }, data: 'dump' },
  { header: { name: 'dirs/opt/stackstorm/configs', mode: '0755', owner: 'root', group: 'root' } },
  { header: { name: 'files/opt/stackstorm/configs/aws.yaml', mode: '0640', owner: 'root', group: 'root' }, data: `secret_key: ${SECRET}\n` },
];
const backupOf = (hosts = HOSTS, st2Version = '3.8.1', more: TestEntry[] = [], key = KEY) => backupBytes(manifest(hosts, st2Version), [...ENTRIES(), ...more], key);

/** A state folder as a cluster's control machine has it: secrets, material, the backup key. */
function keptState(state: string, key: Buffer | null = KEY): void {
  mkdirSync(join(state, 'datastore'), { recursive: true, mode: 0o700 });
  writeFileSync(join(state, 'secrets.json'), `{"rabbitmq_password":"${KEPT}","redis_password":"${KEPT}"}\n`, { mode: 0o600 });
  writeFileSync(join(state, 'datastore', 'datastore_key.json'), DATASTORE(KEPT), { mode: 0o600 });
  if (key) writeFileSync(join(state, 'backup.key'), `${key.toString('hex')}\n`, { mode: 0o600 });
}

describe('st2prov backup, refused before any host is contacted', () => {
  it('never replaces a file: an existing --output exits 1 naming it', async () => {
    const { dir, file } = inventory();
    writeFileSync(join(dir, 'taken.st2backup'), 'mine');
    const run = await st2prov(['backup', file, '-o', join(dir, 'taken.st2backup'), '--timeout', '30']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /taken\.st2backup exists\n {2}st2prov backup never replaces a file/);
    assert.doesNotMatch(run.stderr, /unreachable|mongodump/i);
  });

  it('writes nothing when no controller answers (exit 4), naming the host', async () => {
    const { dir, file } = inventory();
    const run = await st2prov(['backup', file, '-o', join(dir, 'new.st2backup'), '--timeout', '1', '--retries', '0']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.match(run.stderr, /backup failed, nothing written: no controller could be reached for the MongoDB dump:\n {2}c1: /);
    assert.deepEqual(readdirSync(dir).sort(), ['inventory.ini'], 'no backup, no temp file, no state folder, no key');
  });

  it('a state folder whose secrets.json is of the wrong types stops it (exit 1), its values never shown', async () => {
    const { dir, file, state } = inventory();
    keptState(state);
    writeFileSync(join(state, 'secrets.json'), `{"rabbitmq_password": ["${KEPT}"]}\n`);
    const run = await st2prov(['backup', file, '-o', join(dir, 'new.st2backup'), '--timeout', '30']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /the state folder's secrets\.json is not st2prov's secrets: the value of "rabbitmq_password" is a list, not the text of a secret/);
    assert.ok(!run.stderr.includes(KEPT));
    assert.doesNotMatch(run.stderr, /unreachable/i);
  });

  it('a backup key that is not one stops it (exit 1), before any host, its content never shown', async () => {
    const { dir, file, state } = inventory();
    keptState(state);
    writeFileSync(join(state, 'backup.key'), `${KEPT}\n`);
    const run = await st2prov(['backup', file, '-o', join(dir, 'new.st2backup'), '--timeout', '30']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /backup\.key is not a backup key \(64 hex digits\)\n {2}put back the copy you kept of it/);
    assert.ok(!run.stderr.includes(KEPT));
    assert.doesNotMatch(run.stderr, /unreachable/i);
    assert.ok(!existsSync(join(dir, 'new.st2backup')));
  });

  it('takes no --limit: a backup is of the whole cluster', async () => {
    const run = await st2prov(['backup', inventory().file, '--limit', 'b1']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Unknown argument: limit/);
  });
});

describe('a secrets.json of the wrong types is a clear error of every command, not an internal one', () => {
  it('diff: exit 1 naming the file, no value shown', async () => {
    const { file, state } = inventory();
    keptState(state);
    writeFileSync(join(state, 'secrets.json'), `{"rabbitmq_password": 5, "redis_password": "${KEPT}"}\n`);
    const run = await st2prov(['diff', file, '--timeout', '1', '--retries', '0']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /cannot read .*secrets\.json: the value of "rabbitmq_password" is a number, not the text of a secret/);
    assert.ok(!run.stderr.includes(KEPT));
  });
});

describe('st2prov restore refuses, before anything is written or any host contacted: the state folder stays byte for byte', () => {
  /**
   * Restores `bytes` (or the file at `path`) onto a cluster whose state folder is kept; it must
   * exit 1 with `message`, show nothing of either, contact no host, and leave the state folder
   * and the inventory's folder exactly as they were (every file's bytes and mode).
   */
  const refusedRun = async (bytes: Buffer | Promise<Buffer> | { path: string }, message: RegExp, options: { blueprints?: string[]; args?: string[]; key?: Buffer | null } = {}) => {
    const { dir, file, state } = inventory(options.blueprints);
    keptState(state, options.key === undefined ? KEY : options.key);
    const path = 'path' in (bytes as object) ? (bytes as { path: string }).path : join(dir, 'cluster.st2backup');
    if (!('path' in (bytes as object))) writeFileSync(path, await (bytes as Buffer));
    const before = folderSnapshot(dir);
    const run = await st2prov(['restore', file, path, '--timeout', '30', ...(options.args ?? [])]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, message);
    for (const value of [SECRET, KEPT]) assert.ok(!run.stdout.includes(value) && !run.stderr.includes(value), 'nothing of the backup or the state folder is shown');
    assert.doesNotMatch(run.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, 'no control character is printed');
    assert.doesNotMatch(run.stderr, /unreachable|connect/i, 'no host was contacted');
    assert.deepEqual(folderSnapshot(dir), before, 'the state folder and the inventory\'s folder are as they were');
    return run;
  };
  const refused = async (...args: Parameters<typeof refusedRun>): Promise<void> => void (await refusedRun(...args));

  it('a file that is not a backup', () => refused(Buffer.from('[controller]\nc1\n'), /cluster\.st2backup is not an st2prov backup/));
  it('a damaged backup: cut short', async () => {
    const good = await backupOf();
    for (const cut of [60, good.length - 100, good.length - 10]) await refused(good.subarray(0, cut), /cluster\.st2backup is a damaged st2prov backup: .*cut short/);
  });
  it('a damaged backup: a flipped byte', async () => {
    const bad = Buffer.from(await backupOf());
    bad[bad.indexOf('secret_key')] ^= 1;
    await refused(bad, /is a damaged st2prov backup: "files\/opt\/stackstorm\/configs\/aws\.yaml" does not match its checksum/);
  });
  it('another cluster\'s backup (another key)', () =>
    refused(backupOf(HOSTS, '3.8.1', [], testKey('another cluster')), new RegExp(`was written with the backup key ${keyId(testKey('another cluster'))}, not with this cluster's \\(${keyId(KEY)}, .*backup\\.key\\): it is another cluster's backup`)));
  it('a planted file: our key id, a MAC made without our key', () =>
    refused(backupBytes({ ...manifest(), keyId: keyId(KEY) }, [...ENTRIES(), { header: { name: 'files/opt/stackstorm/configs/planted.yaml', mode: '0640', owner: 'root', group: 'root' }, data: 'x: 1\n' }], testKey('forger')),
      /does not match its MAC: it was changed after st2prov wrote it/));
  it('any backup, when the state folder has no backup key: the key it needs and --backup-key are named', () =>
    refused(backupOf(), new RegExp(`is authenticated with the backup key ${keyId(KEY)}, and the state folder .* has no backup key \\(backup\\.key\\)\\n {2}give the copy of the state folder's backup\\.key kept apart from the backups with --backup-key FILE`), { key: null }));
  it('a --backup-key that is not one', async () => {
    const dir = tempDir('key');
    writeFileSync(join(dir, 'k'), 'not a key\n');
    await refused(backupOf(), /k is not a backup key \(64 hex digits\)/, { args: ['--backup-key', join(dir, 'k')] });
  });
  it('format 1 (no MAC): refused with the remedy', () => refused(Buffer.concat([Buffer.from('st2prov-backup 1\n'), gzipSync('{}\n')]), /is an st2prov backup of format 1, which this st2prov does not restore: format 1 carries no MAC.*\n {2}restore it with the st2prov that wrote it/));
  it('a gzip bomb (1 MB, 1 GiB inflated) under either format line: refused from its first bytes', async () => {
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => gzipSync(Buffer.alloc(16 << 20))));
    await refused(Buffer.concat([Buffer.from('st2prov-backup 1\n'), bomb]), /format 1/);
    await refused(Buffer.concat([Buffer.from('st2prov-backup 2\n'), bomb]), /damaged st2prov backup: byte 17 starts a part of unknown kind/);
  });
  it('/dev/zero, a pipe, a folder: refused at once, not read', async () => {
    await refused({ path: '/dev/zero' }, /\/dev\/zero is not an st2prov backup: it is not a regular file \(a device\)/);
    const dir = tempDir('fifo');
    assert.equal(spawnSync('mkfifo', [join(dir, 'pipe')]).status, 0);
    await refused({ path: join(dir, 'pipe') }, /pipe is not an st2prov backup: it is not a regular file \(a pipe\)/);
    await refused({ path: dir }, /is not an st2prov backup: it is not a regular file \(a folder\)/);
  });
  it('a backup of other hosts, each difference named', () =>
    refused(backupOf(), /is not a backup of this inventory's cluster \(.*inventory\.ini\): the backup's hosts b1 are not in the inventory; the inventory's hosts b2, b3 are not in the backup/, { blueprints: ['b2', 'b3'] }));
  it('a backup of another st2 version', () => refused(backupOf(HOSTS, '3.4.1'), /the backup is of st2 3\.4\.1, the inventory's st2_version is 3\.8\.1/));
  it('a role that changed', () => refused(backupOf([{ name: 'c1', role: 'blueprint' }, { name: 'b1', role: 'blueprint' }]), /c1 is a blueprint in the backup, a controller in the inventory/));
  it('the same, in a dry run', () => refused(backupOf(HOSTS, '3.4.1'), /the backup is of st2 3\.4\.1/, { args: ['--dry-run'] }));

  describe('a crafted backup with a valid MAC (what st2prov backup never writes)', () => {
    const file = (name: string, mode = '0640', data = 'a: 1\n'): TestEntry => ({ header: { name, mode, owner: 'root', group: 'root' }, data });
    it('a state file nested deeper than backups hold (it replaced secrets.json before)', () =>
      refused(backupOf(HOSTS, '3.8.1', [{ header: { name: 'state/datastore/deeper/x.json' }, data: '{}' }]), /"state\/datastore\/deeper\/x\.json": it is not a file st2prov keeps in its state folder/));
    it('a secrets.json of the wrong types (every command exited 70 after it)', () =>
      refused(backupBytes(manifest(), [{ header: { name: 'state/secrets.json' }, data: `{"rabbitmq_password": {"v": "${SECRET}"}}` }, ...ENTRIES().slice(1)], KEY), /"state\/secrets\.json" is not st2prov's secrets: the value of "rabbitmq_password" is [a-z ]+, not the text of a secret/));
    it('modes u+s,o+w, 7777, setuid, writable by others', async () => {
      await refused(backupOf(HOSTS, '3.8.1', [file('files/opt/stackstorm/configs/x.yaml', 'u+s,o+w')]), /its mode "u\+s,o\+w" is not four octal digits/);
      await refused(backupOf(HOSTS, '3.8.1', [file('files/opt/stackstorm/configs/x.yaml', '7777')]), /its mode 7777 is not one a backup holds/);
      await refused(backupOf(HOSTS, '3.8.1', [file('files/opt/stackstorm/configs/x.yaml', '4755')]), /its mode 4755 is not one a backup holds/);
      await refused(backupOf(HOSTS, '3.8.1', [file('files/opt/stackstorm/configs/x.yaml', '0666')]), /its mode 0666 is not one a backup holds/);
    });
    it('duplicate names', () => refused(backupOf(HOSTS, '3.8.1', [file('files/opt/stackstorm/configs/aws.yaml')]), /it holds "\/opt\/stackstorm\/configs\/aws\.yaml" twice/));
    it('files backups never hold, kinds backups never hold', async () => {
      await refused(backupOf(HOSTS, '3.8.1', [file('files/root/.ssh/authorized_keys')]), /"files\/root\/\.ssh\/authorized_keys": it is not material st2prov backs up/);
      await refused(backupOf(HOSTS, '3.8.1', [{ header: { name: 'dirs/etc/cron.d', mode: '0755', owner: 'root', group: 'root' } }]), /"dirs\/etc\/cron\.d": it is not material/);
      await refused(backupOf(HOSTS, '3.8.1', [file('files/opt/stackstorm/configsX/a.yaml')]), /"files\/opt\/stackstorm\/configsX\/a\.yaml": it is not material/);
      await refused(backupOf(HOSTS, '3.8.1', [{ header: { name: 'devices/dev/sda' }, data: 'x' }]), /"devices\/dev\/sda": it is of no kind a backup holds/);
    });
    it('raw escape codes in names: refused, and shown escaped', async () => {
      const run = await refusedRun(backupOf(HOSTS, '3.8.1', [file('files/opt/stackstorm/configs/\x1b[2J\x1b]0;pwned\x07.yaml')]), /"files\/opt\/stackstorm\/configs\/\\x1b\[2J\\x1b\]0;pwned\\x07\.yaml": its name holds control characters/);
      assert.ok(!run.stderr.includes('\x1b'));
    });
  });

  it('a state folder st2prov cannot trust is refused before it is written', async () => {
    const { dir, file } = inventory();
    mkdirSync(join(dir, 'inventory.st2prov'), { mode: 0o777 });
    chmodSync(join(dir, 'inventory.st2prov'), 0o777);
    writeFileSync(join(dir, 'b.st2backup'), await backupOf());
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--timeout', '30']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /state folder .* is writable by others/);
    assert.deepEqual(readdirSync(join(dir, 'inventory.st2prov')), []);
  });
});

describe('st2prov restore puts the state folder back first', () => {
  it("restore: the backup's secrets and material are in the state folder (0600) before any host, even when none answers (exit 4); the backup key stays", async () => {
    const { dir, file, state } = inventory();
    keptState(state);
    writeFileSync(join(dir, 'b.st2backup'), await backupOf());
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--timeout', '1', '--retries', '0']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    const secrets = join(state, 'secrets.json');
    // the backup's secrets.json replaces the folder's; what it lacks the site playbook's first step makes, as on any apply
    const kept = JSON.parse(readFileSync(secrets, 'utf8')) as Record<string, string>;
    assert.equal(kept.rabbitmq_password, SECRET);
    assert.notEqual(kept.redis_password, KEPT);
    assert.equal(readFileSync(join(state, 'datastore', 'datastore_key.json'), 'utf8'), DATASTORE(SECRET));
    assert.equal(statSync(secrets).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(state, 'backup.key'), 'utf8'), `${KEY.toString('hex')}\n`);
    assert.match(run.stderr, /restore: 2 files of the state folder .* put back from the backup: secrets\.json, datastore\/datastore_key\.json\n/);
    assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET), 'nothing of the backup is shown');
  });

  it('on a control machine that lost its state folder: restored with --backup-key, which the state folder keeps for the next backups', async () => {
    const { dir, file, state } = inventory();
    writeFileSync(join(dir, 'b.st2backup'), await backupOf());
    const keyCopy = join(tempDir('key'), 'cluster.backup.key');
    writeFileSync(keyCopy, `${KEY.toString('hex')}\n`, { mode: 0o600 });
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--backup-key', keyCopy, '--timeout', '1', '--retries', '0']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.equal(readFileSync(join(state, 'backup.key'), 'utf8'), `${KEY.toString('hex')}\n`);
    assert.equal(statSync(join(state, 'backup.key')).mode & 0o777, 0o600);
    assert.match(run.stderr, /backup\.key from .*cluster\.backup\.key/);
    assert.ok(!run.stderr.includes(KEY.toString('hex')), 'the key is never shown');
  });

  it('a secret the inventory gives otherwise than the backup is named in a warning, its values never shown', async () => {
    const { dir, file, state } = inventory();
    keptState(state);
    writeFileSync(file, `${readFileSync(file, 'utf8')}[all:vars]\nrabbitmq_password=given-OTHER-value\nredis_password=env:ST2PROV_TEST_REDIS\n`);
    writeFileSync(join(dir, 'b.st2backup'), await backupOf());
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--dry-run', '--timeout', '1', '--retries', '0'], { ST2PROV_TEST_REDIS: 'whatever' });
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.match(run.stderr, /warning: the inventory gives rabbitmq_password another value than the backup's; apply uses the inventory's/);
    for (const value of [SECRET, 'given-OTHER-value']) assert.ok(!run.stdout.includes(value) && !run.stderr.includes(value));
  });

  it("restore --dry-run writes no state folder (it reads the backup's from a private copy)", async () => {
    const { dir, file, state } = inventory();
    keptState(state);
    writeFileSync(join(dir, 'b.st2backup'), await backupOf());
    const before = folderSnapshot(dir);
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--dry-run', '--timeout', '1', '--retries', '0']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.deepEqual(folderSnapshot(dir), before);
    assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET));
    assert.ok(!existsSync(join(dir, 'nothing')));
  });
});
