import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InventoryError } from '../../src/core/errors.js';
import { MASK, Secret, mask, masked } from '../../src/core/secret.js';
import { REDIS_STYLE, ENV_STYLE, POSTGRES_STYLE } from '../../src/edit/confKey.js';
import { loadInventory } from '../../src/inventory/inventory.js';
import { expandHostPattern } from '../../src/inventory/ranges.js';
import { OwedHandlers } from '../../src/state/owedHandlers.js';
import { SecretStore } from '../../src/state/secretStore.js';
import { StateFolder } from '../../src/state/stateFolder.js';
import { lockHost } from '../../src/engine/hostLock.js';
import type { Transport } from '../../src/engine/engineHost.js';

const temp = (name: string) => mkdtempSync(join(tmpdir(), `st2prov-${name}-`));

describe('masking', () => {
  it('masks secrets of any length where they stand as a value, and leaves words and paths alone', () => {
    new Secret('x9');
    new Secret('st2');
    assert.equal(mask('requirepass x9'), `requirepass ${MASK}`);
    assert.equal(mask('password = "x9"'), `password = "${MASK}"`);
    assert.equal(mask('redis://:x9@10.0.0.1:6379'), `redis://:${MASK}@10.0.0.1:6379`);
    assert.equal(mask('/etc/st2/st2.conf and st2ctl'), '/etc/st2/st2.conf and st2ctl', 'a short secret does not garble paths or give itself away');
    assert.equal(mask('x99 ax9 x9b'), 'x99 ax9 x9b');
  });

  it('masks a secret of several lines line by line', () => {
    const key = '-----BEGIN TEST KEY-----\nQUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\nMTIzNDU2Nzg5MA==\n-----END TEST KEY-----\n';
    new Secret(key);
    const diff = mask(`+QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo=\n+MTIzNDU2Nzg5MA==\n`);
    assert.ok(!diff.includes('QUJDREVG') && !diff.includes('MTIzNDU2'), diff);
  });

  it('leaves the hunk headers of a diff alone, whatever the secret', () => {
    new Secret('3');
    assert.equal(mask('@@ -1,3 +1,4 @@'), '@@ -1,3 +1,4 @@');
    assert.equal(mask(' port = 3'), ` port = ${MASK}`);
  });

  it('masks inside JSON strings', () => {
    new Secret('json-secret-value');
    assert.deepEqual(masked({ a: ['x=json-secret-value'], s: new Secret('y') }), { a: [`x=${MASK}`], s: MASK });
  });
});

describe('values encoded for the file they go into', () => {
  const hostile = `sp ace 'single' "double" $dollar \`tick\` back\\slash ;semi #hash %pct @at :colon /slash é 中 ${'x'.repeat(64)}`;

  it('redis.conf arguments read back by a Redis-style splitter', () => {
    const line = REDIS_STYLE.encode(hostile);
    assert.match(line, /^".*"$/);
    assert.ok(!/\n/.test(line));
    // sdssplitargs' rules: \\ \" \xHH in double quotes
    const back = Buffer.from(line.slice(1, -1).replace(/\\x([0-9a-f]{2})|\\(.)/g, (_m, hex: string | undefined, ch: string | undefined) => (hex ? String.fromCharCode(parseInt(hex, 16)) : ch!)), 'latin1').toString('utf8');
    assert.equal(back, hostile);
    assert.equal(REDIS_STYLE.encode(['10.0.0.1', '127.0.0.1']), '10.0.0.1 127.0.0.1', 'several arguments stay several');
  });

  it('shell env files read back by sh', () => {
    const dir = temp('env');
    writeFileSync(join(dir, 'env'), `VALUE=${ENV_STYLE.encode(hostile)}\n`);
    const r = spawnSync('sh', ['-c', '. "$1"; printf "%s" "$VALUE"', 'sh', join(dir, 'env')], { encoding: 'utf8' });
    assert.equal(r.stdout, hostile);
  });

  it('postgresql.conf strings with quotes doubled', () => {
    assert.equal(POSTGRES_STYLE.encode("a'b"), "'a''b'");
    assert.equal(POSTGRES_STYLE.encode(['localhost', '10.0.0.1']), "'localhost,10.0.0.1'");
  });
});

describe('the state folder', () => {
  it('is created 0700 by apply, and a dry run writes nothing', () => {
    const dir = join(temp('state'), 'inv.st2prov');
    new SecretStore(new StateFolder(dir, false), () => undefined).secret('rabbitmq_password');
    assert.ok(!existsSync(dir), 'a dry run made no folder');
    const store = new SecretStore(new StateFolder(dir, true), () => undefined);
    const value = store.secret('rabbitmq_password').reveal();
    assert.equal(readFileSync(join(dir, 'secrets.json'), 'utf8').includes(value), true);
    assert.equal(spawnSync('stat', ['-c', '%a', dir], { encoding: 'utf8' }).stdout.trim(), '700');
    assert.equal(spawnSync('stat', ['-c', '%a', join(dir, 'secrets.json')], { encoding: 'utf8' }).stdout.trim(), '600');
  });

  it('is refused when it belongs to someone else, is open to others, or is a link', () => {
    const base = temp('state');
    const theirs = join(base, 'theirs.st2prov');
    mkdirSync(theirs, { mode: 0o700 });
    chownSync(theirs, 65534, 65534);
    assert.throws(() => new SecretStore(new StateFolder(theirs, true), () => undefined).secret('x'), /belongs to uid 65534, not to you/);
    const open = join(base, 'open.st2prov');
    mkdirSync(open);
    chmodSync(open, 0o777);
    assert.throws(() => new SecretStore(new StateFolder(open, false), () => undefined).peek('x'), /writable by others/);
    const link = join(base, 'link.st2prov');
    symlinkSync(theirs, link);
    assert.throws(() => new SecretStore(new StateFolder(link, true), () => undefined).secret('x'), /is a symbolic link/);
  });

  it('never writes through a link planted where a temp file goes', () => {
    const dir = join(temp('state'), 'inv.st2prov');
    const folder = new StateFolder(dir, true);
    folder.write('secrets.json', '{}\n');
    const target = join(temp('victim'), 'victim');
    writeFileSync(target, 'untouched\n');
    for (let i = 0; i < 20; i++) symlinkSync(target, join(dir, `.secrets.json.planted${i}.tmp`));
    new SecretStore(folder, () => undefined).secret('rabbitmq_password');
    assert.equal(readFileSync(target, 'utf8'), 'untouched\n');
    assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'stale temp entries swept');
  });

  it('refuses a corrupt list of owed handlers with the remedy, not a crash', () => {
    const dir = join(temp('state'), 'inv.st2prov');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, 'owed-handlers.json'), '{"host": "not a map"}');
    assert.throws(() => new OwedHandlers(new StateFolder(dir, true)).owed('host', 'play'), /cannot read .*owed-handlers\.json.*restart the services yourself|owed-handlers\.json: not a map/);
  });
});

describe('inventory limits', () => {
  it('count a range before expanding it', () => {
    const t0 = Date.now();
    assert.match(String(expandHostPattern('node[1:100000000]')), /expands to 100,000,000 hosts/);
    assert.match(String(expandHostPattern('n[1:99999][1:99999][1:99999]')), /expands to/);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal((expandHostPattern('n[01:10000]') as string[]).length, 10000);
  });

  it('refuse 5,000 levels of children with file:line, not a stack overflow', () => {
    const dir = temp('inv');
    const file = join(dir, 'deep.ini');
    writeFileSync(file, Array.from({ length: 5000 }, (_, i) => `[g${i}:children]\ng${i + 1}\n`).join('') + '[g5000]\nh1\n');
    assert.throws(() => loadInventory(file), (err: unknown) => err instanceof InventoryError && /children nest more than 100 levels deep/.test(err.message));
  });

  it('refuse a file of several MB before reading it whole', () => {
    const dir = temp('inv');
    const file = join(dir, 'huge.ini');
    writeFileSync(file, `[web]\nh1 x=${'y'.repeat(50 * 1024 * 1024)}\n`);
    const t0 = Date.now();
    assert.throws(() => loadInventory(file), /huge\.ini:1: the file is larger than 4 MiB/);
    assert.ok(Date.now() - t0 < 2000);
  });
});

describe('the host lock', () => {
  const transport = (code: number, stderr = ''): Transport => ({
    name: 'h1', connect: async () => undefined, close: () => undefined,
    exec: async () => ({ code, stdout: '', stderr }),
    withTcp: async () => { throw new Error('no'); },
    hold: async () => ({ acquired: false, release: () => undefined, done: Promise.resolve({ code, stdout: '', stderr }) }),
  });

  it('names a missing flock as the cause, and a lock folder that is not private', async () => {
    await assert.rejects(lockHost(transport(69), 'exclusive', 1, () => undefined), /flock is not installed on this host.*util-linux/);
    await assert.rejects(lockHost(transport(77, '/run/st2prov'), 'exclusive', 1, () => undefined), /lock folder \/run\/st2prov is not a private folder/);
    await assert.rejects(lockHost(transport(75), 'exclusive', 1, () => undefined), /another st2prov run holds the host lock/);
  });
});
