import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { OwedHandlers } from '../../../src/state/owedHandlers.js';
import { SecretStore } from '../../../src/state/secretStore.js';
import { StateFolder } from '../../../src/state/stateFolder.js';
import { st2prov } from '../../harness/cli.js';
import { tempDir } from '../../harness/tempDir.js';

const temp = (name: string) => tempDir(name);

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

describe('the state folder: names of Object.prototype are names like any other', () => {
  it('owed handlers of hosts called __proto__ and constructor are kept, and none is found where none was kept', () => {
    const dir = join(temp('state'), 'inv.st2prov');
    const owed = new OwedHandlers(new StateFolder(dir, true));
    assert.deepEqual(owed.owed('constructor', 'controller'), []);
    assert.deepEqual(owed.owed('toString', 'name'), []);
    owed.set('__proto__', 'blueprint', ['restart st2']);
    owed.set('constructor', 'toString', ['restart nginx']);
    const again = new OwedHandlers(new StateFolder(dir, true));
    assert.deepEqual(again.owed('__proto__', 'blueprint'), ['restart st2']);
    assert.deepEqual(again.owed('constructor', 'toString'), ['restart nginx']);
    assert.deepEqual(again.owed('constructor', 'valueOf'), []);
    assert.deepEqual(Object.keys(JSON.parse(readFileSync(join(dir, 'owed-handlers.json'), 'utf8')) as object), ['__proto__', 'constructor']);
    again.set('__proto__', 'blueprint', []);
    assert.deepEqual(new OwedHandlers(new StateFolder(dir, true)).owed('__proto__', 'blueprint'), []);
  });

  it('a secret called constructor is not found before it is made, and __proto__ is kept like any other', () => {
    const dir = join(temp('state'), 'inv.st2prov');
    const store = new SecretStore(new StateFolder(dir, true), () => undefined);
    assert.equal(store.peek('constructor'), undefined);
    assert.deepEqual(store.missing(['toString', 'hasOwnProperty']), ['toString', 'hasOwnProperty']);
    const made = store.secret('__proto__').reveal();
    assert.equal(new SecretStore(new StateFolder(dir, false), () => undefined).peek('__proto__')?.reveal(), made);
  });
});

describe('the state folder: files of the wrong shape are refused, never a crash', () => {
  const folderWith = (file: string, content: string) => {
    const dir = join(temp('state'), 'inv.st2prov');
    mkdirSync(dir, { mode: 0o700 });
    writeFileSync(join(dir, file), content, { mode: 0o600 });
    return dir;
  };
  const HIDDEN = 'kept-secret-value';
  const wrong: [content: string, problem: RegExp][] = [
    ['5', /it holds a number, not a map of secret names to their values/],
    ['null', /it holds null, not a map/],
    ['[]', /it holds a list, not a map/],
    [JSON.stringify(HIDDEN), /it holds text, not a map/],
    [JSON.stringify({ rabbitmq_password: HIDDEN, redis_password: 5 }), /the value of "redis_password" is a number, not the text of a secret/],
    [JSON.stringify({ redis_password: { value: HIDDEN } }), /the value of "redis_password" is a mapping/],
    [JSON.stringify({ redis_password: [HIDDEN] }), /the value of "redis_password" is a list/],
    [JSON.stringify({ redis_password: null }), /the value of "redis_password" is null/],
    [JSON.stringify({ redis_password: '' }), /the value of "redis_password" is empty/],
    [JSON.stringify({ redis_password: true }), /the value of "redis_password" is a boolean/],
    [`{"redis_password": "${HIDDEN}"`, /JSON/],
  ];
  for (const [content, problem] of wrong) {
    it(`secrets.json holding ${content.replace(HIDDEN, '…').slice(0, 40)}: refused naming the file and the remedy, no value shown`, () => {
      const dir = folderWith('secrets.json', content);
      for (const writable of [false, true]) {
        const store = new SecretStore(new StateFolder(dir, writable), () => undefined);
        assert.throws(() => store.verify(), (err: unknown) => err instanceof UsageError
          && err.message.startsWith(`cannot read ${join(dir, 'secrets.json')}: `) && problem.test(err.message)
          && /put back the copy st2prov wrote/.test(err.remedy ?? '') && !err.message.includes(HIDDEN));
        assert.throws(() => store.peek('rabbitmq_password'), UsageError, 'every later read is refused too');
      }
    });
  }

  it('owed-handlers.json of the wrong shape: refused naming the file', () => {
    for (const content of ['5', 'null', '[]', '{"h": {"p": "restart"}}', '{"h": {"p": [1]}}']) {
      const dir = folderWith('owed-handlers.json', content);
      assert.throws(() => new OwedHandlers(new StateFolder(dir, false)).verify(), (err: unknown) => err instanceof UsageError && err.message.startsWith(`cannot read ${dir}/owed-handlers.json: `), content);
    }
  });

  it('diff, apply and check with such a secrets.json exit 1 naming the file, before any host (not 70)', async () => {
    const dir = temp('state');
    const inventory = join(dir, 'inventory.ini');
    writeFileSync(inventory, '[controller]\nc1 ansible_host=192.0.2.1\n[blueprint]\nb1 ansible_host=192.0.2.11\n');
    mkdirSync(join(dir, 'inventory.st2prov'), { mode: 0o700 });
    for (const content of ['{"redis_password": 5}', 'null', '{"st2_auth_password": {"a": 1}}']) {
      writeFileSync(join(dir, 'inventory.st2prov', 'secrets.json'), content, { mode: 0o600 });
      for (const command of ['diff', 'apply', 'check']) {
        const run = await st2prov([command, inventory, '--timeout', '30']);
        assert.equal(run.code, 1, `${command}: ${run.stderr}`);
        assert.match(run.stderr, /^st2prov: cannot read .*inventory\.st2prov\/secrets\.json: /);
        assert.doesNotMatch(run.stdout + run.stderr, /unreachable|internal error/i);
      }
    }
  });
});

describe('the state folder: a folder of files made together survives a crash at any point of its replacement', () => {
  const stateFolderModule = new URL('../../../src/state/stateFolder.js', import.meta.url).href;
  /**
   * Replaces `pair` (key and key.pub of generation "new") in a child process that SIGKILLs
   * itself just before its `crashAt`-th change to the file system (rename, rm, mkdtemp, mkdir,
   * a file written): a crash between any two of writeFolder's steps. Exit code 0: it ran
   * through, with fewer changes than that.
   */
  const replaceKilledAt = (dir: string, crashAt: number) => spawnSync(process.execPath, ['--input-type=module', '-e', `
    import fs from 'node:fs';
    import { syncBuiltinESMExports } from 'node:module';
    let changes = 0;
    for (const f of ['renameSync', 'rmSync', 'mkdtempSync', 'mkdirSync', 'writeFileSync']) {
      const real = fs[f];
      fs[f] = (...args) => {
        if (++changes === ${crashAt}) {
          process.kill(process.pid, 'SIGKILL');
          Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 10000);
        }
        return real(...args);
      };
    }
    syncBuiltinESMExports();
    const { StateFolder } = await import(${JSON.stringify(stateFolderModule)});
    await new StateFolder(${JSON.stringify(dir)}, true).writeFolder('pair', (tmp) => {
      fs.writeFileSync(tmp + '/key', 'new key\\n', { mode: 0o600 });
      fs.writeFileSync(tmp + '/key.pub', 'new pub\\n');
    });
  `], { encoding: 'utf8' });

  /** The pair as a folder sees it: both files of one generation. */
  const pairOf = (folder: StateFolder) => {
    const [key, pub] = [folder.read('pair/key'), folder.read('pair/key.pub')];
    assert.ok(key !== undefined && pub !== undefined, `a whole pair (key: ${key === undefined ? 'missing' : 'there'}, pub: ${pub === undefined ? 'missing' : 'there'})`);
    const generation = key.split(' ')[0]!;
    assert.equal(pub, `${generation} pub\n`, 'key and key.pub of the same generation');
    return generation;
  };

  it('the old or the new pair is found whole after a kill between any two steps, by a dry run and by a run that writes', async (t) => {
    const outcomes: string[] = [];
    for (let crashAt = 1; ; crashAt++) {
      const dir = join(temp('state'), 'inv.st2prov');
      await new StateFolder(dir, true).writeFolder('pair', (tmp) => {
        writeFileSync(join(tmp, 'key'), 'old key\n', { mode: 0o600 });
        writeFileSync(join(tmp, 'key.pub'), 'old pub\n');
      });
      const child = replaceKilledAt(dir, crashAt);
      const ranThrough = child.status === 0;
      assert.ok(ranThrough || child.signal === 'SIGKILL', `crash ${crashAt}: ${child.stderr}`);
      const left = readdirSync(dir).sort().join(' ');
      // a dry run reads without writing: the same answer, the folder untouched
      const seen = pairOf(new StateFolder(dir, false));
      assert.equal(readdirSync(dir).sort().join(' '), left, 'a dry run changed nothing');
      assert.equal(new StateFolder(dir, false).files().filter((f) => f.startsWith('pair/')).join(' '), 'pair/key pair/key.pub', 'a backup lists the pair');
      // a run that may write finds the same pair, puts it back under its name, and leaves nothing aside
      const writer = new StateFolder(dir, true);
      assert.equal(pairOf(writer), seen);
      assert.deepEqual(readdirSync(dir).filter((e) => e.startsWith('.pair.old')), [], 'nothing left aside');
      assert.ok(existsSync(join(dir, 'pair', 'key')));
      outcomes.push(`${crashAt}:${ranThrough ? 'done' : 'killed'}:${seen}:${left}`);
      if (ranThrough) {
        assert.equal(seen, 'new');
        break;
      }
    }
    t.diagnostic(`kill point: outcome: pair found: entries left\n${outcomes.join('\n')}`);
    // mkdtemp, two files written, the old folder renamed aside, the new one renamed in, the old removed
    const killed = outcomes.filter((o) => o.includes(':killed:'));
    assert.ok(killed.length >= 5, outcomes.join('\n'));
    assert.ok(killed.some((o) => /:old:.*\.pair\.old/.test(o) && !/ pair( |$)/.test(o.split(':').slice(3).join(':'))), `a kill with the old pair only aside was tried:\n${outcomes.join('\n')}`);
    assert.ok(killed.some((o) => /:new:/.test(o)), `a kill after the new pair took its name was tried:\n${outcomes.join('\n')}`);
  });
});

describe("the state folder's files, for a backup", () => {
  it('lists every file by its path inside, but half-made ones, and refuses a link', async () => {
    const { symlinkSync: link, writeFileSync: write, mkdirSync: mkdir } = await import('node:fs');
    const dir = join(tempDir('state'), 'inv.st2prov');
    const folder = new StateFolder(dir, true);
    assert.deepEqual(new StateFolder(dir, false).files(), []);
    folder.write('secrets.json', '{}');
    await folder.writeFolder('datastore', (tmp) => write(join(tmp, 'datastore_key.json'), 'k', { mode: 0o600 }));
    write(join(dir, '.secrets.json.abc.tmp'), 'half');
    mkdir(join(dir, '.tls.x'));
    assert.deepEqual(folder.files(), ['datastore/datastore_key.json', 'secrets.json']);
    link('/etc/passwd', join(dir, 'planted'));
    assert.throws(() => folder.files(), /planted is a symbolic link/);
  });
});
