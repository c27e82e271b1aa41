import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeBackup, type Backup } from '../../../src/backup/archive.js';
import { st2prov } from '../../harness/cli.js';
import { tempDir } from '../../harness/tempDir.js';

/** An inventory of hosts on TEST-NET-1 (192.0.2.0/24), which nothing answers: a run that contacted one would say unreachable. */
const inventory = (blueprints = ['b1']) => {
  const dir = tempDir('backup');
  const file = join(dir, 'inventory.ini');
  writeFileSync(file, `[controller]\nc1 ansible_host=192.0.2.1\n[blueprint]\n${blueprints.map((b, i) => `${b} ansible_host=192.0.2.${11 + i}`).join('\n')}\n`);
  return { dir, file };
};

const SECRET = 'kept-SECRET-value-9f3a';
const backupOf = (hosts: Backup['manifest']['hosts'], st2Version = '3.8.1', more: Backup['entries'] = []): Buffer => encodeBackup({
  manifest: { st2provVersion: '0.1.0', st2Version, hosts, createdAt: '2026-11-26T00:00:00.000Z', mongodbFrom: 'c1', materialFrom: 'b1' },
  entries: [
    { name: 'state/secrets.json', data: Buffer.from(`{"rabbitmq_password":"${SECRET}"}\n`) },
    { name: 'mongodb/st2.archive.gz', data: Buffer.from('dump') },
    { name: 'files/opt/stackstorm/configs/aws.yaml', data: Buffer.from(`secret_key: ${SECRET}\n`), mode: '0640', owner: 'root', group: 'root' },
    ...more,
  ],
});
const HOSTS: Backup['manifest']['hosts'] = [{ name: 'c1', role: 'controller' }, { name: 'b1', role: 'blueprint' }];

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
    assert.deepEqual(readdirSync(dir).sort(), ['inventory.ini'], 'no backup, no temp file, no state folder');
  });

  it('takes no --limit: a backup is of the whole cluster', async () => {
    const run = await st2prov(['backup', inventory().file, '--limit', 'b1']);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /Unknown argument: limit/);
  });
});

describe('st2prov restore, refused before anything is written or any host contacted', () => {
  const refused = async (bytes: Buffer | string, message: RegExp, blueprints?: string[], args: string[] = []) => {
    const { dir, file } = inventory(blueprints);
    const path = join(dir, 'cluster.st2backup');
    writeFileSync(path, bytes);
    const run = await st2prov(['restore', file, path, '--timeout', '30', ...args]);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, message);
    assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET), 'nothing of the backup is shown');
    assert.doesNotMatch(run.stderr, /unreachable/i);
    assert.ok(!existsSync(join(dir, 'inventory.st2prov')), 'no state folder written');
  };

  it('a file that is not a backup', () => refused('[controller]\nc1\n', /cluster\.st2backup is not an st2prov backup/));
  it('a damaged backup: cut short', () => refused(backupOf(HOSTS).subarray(0, 60), /cluster\.st2backup is a damaged st2prov backup/));
  it('a backup of other hosts, each difference named', () =>
    refused(backupOf(HOSTS), /is not a backup of this inventory's cluster \(.*inventory\.ini\): the backup's hosts b1 are not in the inventory; the inventory's hosts b2, b3 are not in the backup/, ['b2', 'b3']));
  it('a backup of another st2 version', () => refused(backupOf(HOSTS, '3.4.1'), /the backup is of st2 3\.4\.1, the inventory's st2_version is 3\.8\.1/));
  it('a role that changed', () => refused(backupOf([{ name: 'c1', role: 'blueprint' }, { name: 'b1', role: 'blueprint' }]), /c1 is a blueprint in the backup, a controller in the inventory/));
  it('a backup holding files st2prov does not back up (a root write anywhere): each named', () => refused(backupOf(HOSTS, '3.8.1', [
    { name: 'files/root/.ssh/authorized_keys', data: Buffer.from('ssh-ed25519 AAAA x\n') },
    { name: 'dirs/etc/cron.d', data: Buffer.alloc(0) },
    { name: 'files/opt/stackstorm/configsX/a.yaml', data: Buffer.from('a: 1\n') },
  ]), /holds files that st2prov does not back up: \/root\/\.ssh\/authorized_keys, \/etc\/cron\.d, \/opt\/stackstorm\/configsX\/a\.yaml/));
  it('the same, in a dry run', () => refused(backupOf(HOSTS, '3.4.1'), /the backup is of st2 3\.4\.1/, undefined, ['--dry-run']));

  it('a state folder st2prov cannot trust is refused before it is written', async () => {
    const { dir, file } = inventory();
    mkdirSync(join(dir, 'inventory.st2prov'), { mode: 0o777 });
    const { chmodSync } = await import('node:fs');
    chmodSync(join(dir, 'inventory.st2prov'), 0o777);
    writeFileSync(join(dir, 'b.st2backup'), backupOf(HOSTS));
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--timeout', '30']);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    assert.match(run.stderr, /state folder .* is writable by others/);
    assert.deepEqual(readdirSync(join(dir, 'inventory.st2prov')), []);
  });
});

describe('st2prov restore puts the state folder back first', () => {
  it("restore: the backup's secrets and material are in the state folder (0600) before any host, even when none answers (exit 4)", async () => {
    const { dir, file } = inventory();
    writeFileSync(join(dir, 'b.st2backup'), backupOf(HOSTS));
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--timeout', '1', '--retries', '0']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    const secrets = join(dir, 'inventory.st2prov', 'secrets.json');
    // the backup's value is kept; what it lacks the site playbook's first step makes, as on any apply
    assert.equal((JSON.parse(readFileSync(secrets, 'utf8')) as Record<string, string>).rabbitmq_password, SECRET);
    assert.equal(statSync(secrets).mode & 0o777, 0o600);
    assert.match(run.stderr, /restore: 1 files of the state folder .* put back from the backup: secrets\.json/);
    assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET), 'nothing of the backup is shown');
  });

  it('a secret the inventory gives otherwise than the backup is named in a warning, its values never shown', async () => {
    const { dir, file } = inventory();
    writeFileSync(file, `${readFileSync(file, 'utf8')}[all:vars]\nrabbitmq_password=given-OTHER-value\nredis_password=env:ST2PROV_TEST_REDIS\n`);
    writeFileSync(join(dir, 'b.st2backup'), backupOf(HOSTS));
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--dry-run', '--timeout', '1', '--retries', '0'], { ST2PROV_TEST_REDIS: 'whatever' });
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.match(run.stderr, /warning: the inventory gives rabbitmq_password another value than the backup's; apply uses the inventory's/);
    for (const value of [SECRET, 'given-OTHER-value']) assert.ok(!run.stdout.includes(value) && !run.stderr.includes(value));
  });

  it("restore --dry-run writes no state folder (it reads the backup's from a private copy)", async () => {
    const { dir, file } = inventory();
    writeFileSync(join(dir, 'b.st2backup'), backupOf(HOSTS));
    const run = await st2prov(['restore', file, join(dir, 'b.st2backup'), '--dry-run', '--timeout', '1', '--retries', '0']);
    assert.equal(run.code, 4, run.stdout + run.stderr);
    assert.deepEqual(readdirSync(dir).sort(), ['b.st2backup', 'inventory.ini']);
    assert.ok(!run.stdout.includes(SECRET) && !run.stderr.includes(SECRET));
  });
});
