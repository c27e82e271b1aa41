import assert from 'node:assert/strict';
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { openBackupFile, type Entry } from '../../src/backup/archive.js';
import { keyId, type BackupKey } from '../../src/backup/backupKey.js';
import { backupBytes, folderSnapshot, testKey, type TestEntry } from '../harness/backupFiles.js';
import { st2prov } from '../harness/cli.js';
import { st2provMeasured } from '../harness/peakRss.js';
import { ssh } from '../harness/remote.js';
import { tempDir } from '../harness/tempDir.js';
import type { Lab } from './lab.js';

/*
 * Backup and restore off the common path, on a cluster st2prov deployed (trust.test.ts runs
 * them on its cluster once it was rebuilt from nothing and restored): a database of a GiB
 * streamed both ways in bounded memory, and restores refused with nothing written anywhere.
 */

const GiB = 1024 * 1024 * 1024;
/** The most memory st2prov may hold while it backs up or restores a dump of any size. */
export const RSS_BOUND = 200 * 1000 * 1000;
const MONGO_DATA = '/var/lib/mongodb/st2';

export function stateDir(lab: Lab): string {
  return lab.inventory.replace(/\.(?:ini|ya?ml|json)$/, '.st2prov');
}

function backupKey(lab: Lab): BackupKey {
  const key = Buffer.from(readFileSync(join(stateDir(lab), 'backup.key'), 'utf8').trim(), 'hex');
  return { key, id: keyId(key), from: 'the lab state folder' };
}

/**
 * What a restore could change on a host: the material, st2's "database" and what root could
 * be made to run, each file's path, mode, owner, link target and digest; the controller's
 * leftover temp files (where the dump would have gone).
 */
export function hostsSnapshot(lab: Lab): string[] {
  const paths = '/etc/st2 /opt/stackstorm/configs /opt/stackstorm/rbac /home/stanley/.ssh /var/lib/mongodb /root/.ssh /etc/cron.d /etc/sudoers.d';
  return lab.hosts.map((h) => {
    const r = ssh(lab, h.address, `for p in ${paths}; do [ -e "$p" ] && find "$p" -printf '%p %m %u:%g %l\\n'; done | LC_ALL=C sort; for p in ${paths}; do [ -e "$p" ] && find "$p" -type f -exec sha256sum {} +; done | LC_ALL=C sort; ls -a /tmp | grep '^tmp\\.' || true`);
    assert.equal(r.code, 0, r.stderr);
    return `${h.name}\n${r.stdout}`;
  });
}

/** Bytes of a file on a host, by their digest. */
function digestOn(lab: Lab, address: string, path: string): string {
  const r = ssh(lab, address, `sha256sum ${path} | cut -d' ' -f1`);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout.trim();
}

/**
 * A backup and a restore of a database of more than a GiB (random, so the dump is as large):
 * both stream it, and st2prov's peak resident memory stays under RSS_BOUND in each, measured
 * from the kernel's high-water mark and printed. The restore puts the GiB back byte for byte and
 * drops what was added since.
 */
export async function largeRoundTrip(t: TestContext, lab: Lab, args: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const controller = lab.hosts[0]!.address;
  const blueprint = lab.hosts[1]!.address;
  const shown: string[] = [];
  const made = ssh(lab, controller, `mkdir -p ${MONGO_DATA} && head -c ${GiB} /dev/urandom > ${MONGO_DATA}/large_collection.bson`);
  assert.equal(made.code, 0, made.stderr);
  putConfigAndLink(lab);
  const large = digestOn(lab, controller, `${MONGO_DATA}/large_collection.bson`);
  const file = join(tempDir('large-backup'), 'large.st2backup');
  try {
    const backup = await st2provMeasured(['backup', lab.inventory, '-o', file, ...args], { env });
    shown.push(backup.stdout + backup.stderr);
    assert.equal(backup.code, 0, backup.stdout + backup.stderr);
    const size = statSync(file).size;
    t.diagnostic(`backup: a ${(size / GiB).toFixed(3)} GiB file (${size} bytes); st2prov's peak RSS ${(backup.peakRssBytes / 1e6).toFixed(1)} MB (VmHWM, ${backup.samples} readings)`);
    assert.ok(size > GiB, `the dump of a GiB of random bytes is over a GiB: ${size}`);
    assert.match(backup.stdout, /MongoDB database st2 from st2-multi-node-cntl: \d{10,} bytes/);
    assert.ok(backup.samples > 0, 'the run was measured');
    assert.ok(backup.peakRssBytes < RSS_BOUND, `backup: peak RSS ${backup.peakRssBytes} bytes, over ${RSS_BOUND}`);

    // what the restore must undo: the collection changed, another one added since, the link made a file
    const changed = ssh(lab, controller, `head -c 4096 /dev/urandom > ${MONGO_DATA}/large_collection.bson && echo '{}' > ${MONGO_DATA}/added_since.json`);
    assert.equal(changed.code, 0, changed.stderr);
    assert.equal(ssh(lab, blueprint, `rm ${LINK} && echo 'not a link' > ${LINK}`).code, 0);
    const restore = await st2provMeasured(['restore', lab.inventory, file, ...args], { env });
    shown.push(restore.stdout + restore.stderr);
    t.diagnostic(`restore: st2prov's peak RSS ${(restore.peakRssBytes / 1e6).toFixed(1)} MB (VmHWM, ${restore.samples} readings)`);
    assert.equal(restore.code, 0, restore.stdout + restore.stderr);
    assert.ok(restore.samples > 0, 'the run was measured');
    assert.ok(restore.peakRssBytes < RSS_BOUND, `restore: peak RSS ${restore.peakRssBytes} bytes, over ${RSS_BOUND}`);
    assert.equal(digestOn(lab, controller, `${MONGO_DATA}/large_collection.bson`), large, 'the GiB is back byte for byte');
    assert.notEqual(ssh(lab, controller, `test -e ${MONGO_DATA}/added_since.json`).code, 0, 'mongorestore --drop dropped what was added since');
    assert.equal(ssh(lab, blueprint, `stat -c '%F %U:%G' ${LINK} && readlink ${LINK}`).stdout, 'symbolic link st2:st2\nrefusals.yaml\n', 'the link is back as a link, with its owner');
    assert.equal(ssh(lab, controller, 'ls -a /tmp | grep "^tmp\\." || true').stdout, '', 'no temp file of the dump is left on the controller');
  } finally {
    ssh(lab, controller, `rm -f ${MONGO_DATA}/large_collection.bson ${MONGO_DATA}/added_since.json`);
    rmSync(file, { force: true });
  }
  return shown;
}

/**
 * Restores that must be refused with nothing written: a truncated backup, another cluster's, a
 * planted one (our key's id, not our MAC), crafted ones with a valid MAC (what backup never
 * writes), /dev/zero. Each exits 1 naming why, and leaves the state folder (every file, its
 * bytes and mode) and every host byte for byte as they were.
 */
export async function refusedRestores(lab: Lab, args: string[], env: NodeJS.ProcessEnv): Promise<string[]> {
  const dir = tempDir('refused-restores');
  const good = join(dir, 'good.st2backup');
  putConfigAndLink(lab);
  const backup = await st2prov(['backup', lab.inventory, '-o', good, ...args], env);
  assert.equal(backup.code, 0, backup.stdout + backup.stderr);
  assert.match(backup.stdout, /\d+ files, \d+ folders and [1-9]\d* links from /, 'the links are in the backup');
  const key = backupKey(lab);
  const opened = await openBackupFile(good, key, '');
  let dump: Buffer;
  const entries: TestEntry[] = [];
  try {
    const chunks: Buffer[] = [];
    for await (const c of opened.dump.open()) chunks.push(c as Buffer);
    dump = Buffer.concat(chunks);
    for (const e of opened.entries) entries.push(asTestEntry(e));
  } finally {
    await opened.close();
  }
  entries.push({ header: { name: 'mongodb/st2.archive.gz' }, data: dump });
  const manifest = opened.manifest;
  const secrets = entries.find((e) => e.header.name === 'state/secrets.json')!;
  const config = entries.find((e) => e.header.name === `files${CONFIG}`)!;
  assert.deepEqual(entries.find((e) => e.header.name === `links${LINK}`)?.header, { name: `links${LINK}`, owner: 'st2', group: 'st2', target: 'refusals.yaml' }, 'the link is kept as a link');
  const ours = (list: TestEntry[]) => backupBytes(manifest, list, key.key);
  const evil = (name: string, mode = '0644'): TestEntry => ({ header: { name, mode, owner: 'root', group: 'root' }, data: 'evil: true\n' });
  const goodBytes = readFileSync(good);

  const cases: [string, Buffer | string, RegExp][] = [
    ['truncated', goodBytes.subarray(0, Math.floor(goodBytes.length / 2)), /is a damaged st2prov backup: .*cut short/],
    ['foreign', await backupBytes({ ...manifest, keyId: keyId(testKey('another cluster')) }, entries, testKey('another cluster')), /was written with the backup key [0-9a-f]{16}, not with this cluster's .*: it is another cluster's backup/],
    ['planted', await backupBytes(manifest, [...entries, evil('files/opt/stackstorm/configs/planted.yaml', '0640')], key.key, testKey('forger')), /does not match its MAC/],
    ['nested', await ours([...entries, { header: { name: 'state/datastore/deeper/x.json' }, data: '{}' }]), /"state\/datastore\/deeper\/x\.json": it is not a file st2prov keeps/],
    ['bad secrets', await ours(entries.map((e) => (e === secrets ? { ...e, data: '{"rabbitmq_password": 5}' } : e))), /"state\/secrets\.json" is not st2prov's secrets: the value of "rabbitmq_password" is a number, not the text of a secret/],
    ['setuid', await ours(entries.map((e) => (e === config ? { ...e, header: { ...e.header, mode: '4755' } } : e))), /its mode 4755 is not one a backup holds/],
    ['7777', await ours(entries.map((e) => (e === config ? { ...e, header: { ...e.header, mode: '7777' } } : e))), /its mode 7777 is not one a backup holds/],
    ['root write', await ours([...entries, evil('files/root/.ssh/authorized_keys', '0600')]), /"files\/root\/\.ssh\/authorized_keys": it is not material st2prov backs up/],
    ['duplicate', await ours([...entries, config]), /twice/],
    ['under a link', await ours([...entries, evil(`files${LINK}/x.yaml`, '0640')]), /\(a file\) under a link/],
    ['escape codes', await ours([...entries, evil('files/opt/stackstorm/configs/\x1b[2J\x1b[31m.yaml', '0640')]), /\\x1b\[2J\\x1b\[31m\.yaml": its name holds control characters/],
    ['/dev/zero', '/dev/zero', /\/dev\/zero is not an st2prov backup: it is not a regular file/],
  ];
  const state = stateDir(lab);
  const shown: string[] = [];
  const stateBefore = folderSnapshot(state);
  const hostsBefore = hostsSnapshot(lab);
  for (const [what, bytes, message] of cases) {
    const path = typeof bytes === 'string' ? bytes : join(dir, `${what.replace(/\W/g, '-')}.st2backup`);
    if (typeof bytes !== 'string') writeFileSync(path, bytes);
    const run = await st2prov(['restore', lab.inventory, path, ...args], env);
    shown.push(run.stdout + run.stderr);
    assert.equal(run.code, 1, `${what}: ${run.stdout}${run.stderr}`);
    assert.match(run.stderr, message, what);
    assert.doesNotMatch(run.stderr, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/, `${what}: no control character is printed`);
    assert.deepEqual(folderSnapshot(state), stateBefore, `${what}: the state folder is as it was, byte for byte`);
    assert.deepEqual(hostsSnapshot(lab), hostsBefore, `${what}: every host is as it was`);
  }
  return shown;
}

const CONFIG = '/opt/stackstorm/configs/refusals.yaml';
const LINK = '/opt/stackstorm/configs/refusals-link.yaml';

/** A pack config and a symbolic link to it, owned by st2 (the link itself): a backup keeps the link as a link. */
function putConfigAndLink(lab: Lab): void {
  const r = ssh(lab, lab.hosts[1]!.address, `mkdir -p /opt/stackstorm/configs && printf 'a: 1\n' > ${CONFIG} && chmod 0640 ${CONFIG} && ln -sfn refusals.yaml ${LINK} && chown -h st2:st2 ${LINK}`);
  assert.equal(r.code, 0, r.stderr);
}

function asTestEntry(e: Entry): TestEntry {
  const { data, ...header } = e;
  return { header, data };
}
