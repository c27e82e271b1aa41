import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { changeLines, failures, projectDir, st2prov, testPlaybook } from '../harness/cli.js';
import { startSshd, type Sshd } from '../harness/sshd.js';
import { workspace, type Workspace } from '../harness/workspace.js';


function debianPgFile(name: string): string {
  const dir = readdirSync('/etc/postgresql')[0]!;
  return `/etc/postgresql/${dir}/main/${name}`;
}

describe('every operation against a real sshd: diff → apply → apply → diff', () => {
  let sshd: Sshd;
  let ws: Workspace;
  const tricky = `amqp://st2:"we ird";#pw=x@h:5672// $(touch /tmp/st2prov-pwned) \`id\``;
  const secret = 'Sup3r-Secret-Pg-Password';

  before(async () => {
    sshd = await startSshd();
    // a fresh starting point: the package absent, PostgreSQL stopped, the role gone
    execFileSync('sh', ['-c', 'dpkg -r hello >/dev/null 2>&1; service postgresql stop >/dev/null 2>&1; true']);
    ws = workspace(sshd, {
      vars: {
        motd: 'hello; # not a comment = "quoted"',
        tricky_value: tricky,
        pg_conf: debianPgFile('postgresql.conf'),
        pg_hba: debianPgFile('pg_hba.conf'),
        pg_role: `st2prov_test_${process.pid}`,
        pg_role_password: secret,
        packs_src: join(sshd.dir, 'packs'),
        mistral_conf: join(projectDir, 'test/fixtures/mistral.conf'),
      },
    });
    mkdirSync(join(sshd.dir, 'packs/core/actions'), { recursive: true });
    writeFileSync(join(sshd.dir, 'packs/core/pack.yaml'), 'name: core\nversion: 1.0.0\n');
    writeFileSync(join(sshd.dir, 'packs/core/actions/run.sh'), '#!/bin/sh\necho run\n', { mode: 0o755 });
  });

  after(async () => {
    const role = `st2prov_test_${process.pid}`;
    execFileSync('sh', ['-c', `runuser -u postgres -- psql -q -c 'DROP DATABASE IF EXISTS ${role}' -c 'DROP ROLE IF EXISTS ${role}' >/dev/null 2>&1; dpkg -r hello >/dev/null 2>&1; true`]);
    await sshd?.stop();
  });

  let planned: string[] = [];

  it('diff on a fresh host lists the changes, with the edits of files not yet there pending', async () => {
    const run = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('everyOperation'), '--json']);
    assert.equal(run.code, 0, failures(run));
    const host = run.json.hosts[0]!;
    const pending = host.steps.filter((s) => s.status === 'pending').map((s) => s.step);
    assert.deepEqual(pending, ['plain file', 'link', 'template', 'conf key', 'ini keys', 'pg_hba rule', 'postgresql role and database']);
    assert.match(host.steps.find((s) => s.step === 'plain file')!.reason!, /pending, after "folder" \(folder of .*plain\.txt does not exist yet\)/);
    assert.match(host.steps.find((s) => s.step === 'postgresql role and database')!.reason!, /after "postgresql running" \(a running PostgreSQL server does not exist yet\)/);
    assert.match(host.steps.find((s) => s.step === 'conf key')!.reason!, /pending, after "seed configs"/);
    planned = changeLines(run.json);
    for (const step of ['folder', 'seed configs', 'packs', 'apt packages', 'postgresql running']) {
      assert.ok(planned.some((l) => l.includes(`| ${step} |`)), `diff lists ${step}`);
    }
    assert.ok(planned.some((l) => l.includes('handler: record restart')), 'diff lists the handler that would run');
    assert.ok(!existsSync(join(ws.target, 'etc')), 'a dry run touches nothing');
  });

  it('apply makes exactly those changes, plus the pending ones', async () => {
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('everyOperation'), '--json']);
    assert.equal(run.code, 0, failures(run));
    const applied = changeLines(run.json);
    const appliedOutsidePending = applied.filter((l) => !/\| (plain file|link|template|conf key|ini keys|pg_hba rule|postgresql role and database) \|/.test(l));
    assert.deepEqual(appliedOutsidePending, planned);
    for (const step of ['plain file', 'link', 'template', 'conf key', 'ini keys', 'pg_hba rule', 'postgresql role and database']) {
      assert.ok(applied.some((l) => l.includes(`| ${step} |`)), `apply made the pending ${step} change`);
    }
    const host = run.json.hosts[0]!;
    assert.equal(host.failed, 0);
  });

  it('left the host as asked', () => {
    const plain = join(ws.target, 'etc/plain.txt');
    assert.equal(readFileSync(plain, 'utf8'), 'hello root\n');
    assert.equal(statSync(plain).mode & 0o777, 0o640);
    assert.equal(statSync(join(ws.target, 'etc')).mode & 0o777, 0o750);
    assert.ok(lstatSync(join(ws.target, 'etc/plain.link')).isSymbolicLink());
    assert.equal(readlinkSync(join(ws.target, 'etc/plain.link')), 'plain.txt');
    const app = readFileSync(join(ws.target, 'etc/app.conf'), 'utf8');
    assert.equal(statSync(join(ws.target, 'etc/app.conf')).mode & 0o777, 0o600);
    assert.ok(app.includes('motd = hello; # not a comment = "quoted"'));
    const mistral = readFileSync(join(ws.target, 'etc/mistral.conf'), 'utf8');
    assert.ok(mistral.includes(`\ntransport_url = ${tricky}\n`), 'a value with shell and INI metacharacters survives whole');
    assert.ok(mistral.includes('\nmax_pool_size = 5\n'));
    assert.ok(!existsSync('/tmp/st2prov-pwned'), 'nothing in a value ran as a command');
    assert.match(readFileSync(join(ws.target, 'etc/pg.conf'), 'utf8'), /^listen_addresses = '127\.0\.0\.1'/m);
    assert.match(readFileSync(join(ws.target, 'etc/pg_hba.conf'), 'utf8'), /^host\tall\tall\t10\.0\.3\.0\/24\tscram-sha-256$/m);
    assert.equal(readFileSync(join(ws.target, 'packs/core/actions/run.sh'), 'utf8'), '#!/bin/sh\necho run\n');
    assert.ok(statSync(join(ws.target, 'packs/core/actions/run.sh')).mode & 0o100);
    assert.equal(readFileSync(join(ws.target, 'restarts.log'), 'utf8'), 'restarted\n', 'the handler ran once for three notifications');
    assert.match(execFileSync('dpkg-query', ['-W', '-f', '${Status}', 'hello']).toString(), /install ok installed/);
  });

  it('the role logs in with its password and not with another', () => {
    const role = `st2prov_test_${process.pid}`;
    const login = (password: string) => {
      try {
        execFileSync('psql', ['-h', '127.0.0.1', '-U', role, '-d', role, '-tAc', 'select current_user'], { env: { ...process.env, PGPASSWORD: password }, stdio: ['ignore', 'pipe', 'pipe'] });
        return true;
      } catch {
        return false;
      }
    };
    assert.equal(login(secret), true);
    assert.equal(login('wrong-password'), false);
  });

  it('a second apply changes nothing and runs no handler', async () => {
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('everyOperation'), '--json']);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(changeLines(run.json), []);
    assert.equal(run.json.hosts[0]!.changed, 0);
    assert.equal(readFileSync(join(ws.target, 'restarts.log'), 'utf8'), 'restarted\n');
  });

  it('diff afterwards shows nothing, and --exit-code says so', async () => {
    const run = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('everyOperation'), '--exit-code']);
    assert.equal(run.code, 0, run.stderr);
    assert.doesNotMatch(run.stdout, /==/);
    assert.match(run.stdout, /changed=0/);
  });

  it('a link pointed elsewhere, or replaced by a file, is shown and put back as the link (the file it named untouched)', async () => {
    const link = join(ws.target, 'etc/plain.link');
    for (const drift of [() => (rmSync(link), symlinkSync('elsewhere', link)), () => (rmSync(link), writeFileSync(link, 'a file now\n'))]) {
      drift();
      const diff = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('everyOperation'), '--json']);
      assert.equal(diff.code, 0, failures(diff));
      assert.deepEqual(changeLines(diff.json).map((l) => l.split(' | ').slice(1).join(' | ')), [`link | ${lstatSync(link).isSymbolicLink() ? `link ${link}: → elsewhere becomes → plain.txt` : `replace ${link} by a link → plain.txt`}`]);
      const apply = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('everyOperation')]);
      assert.equal(apply.code, 0, apply.stdout + apply.stderr);
      assert.equal(readlinkSync(link), 'plain.txt');
      assert.equal(readFileSync(join(ws.target, 'etc/plain.txt'), 'utf8'), 'hello root\n');
    }
  });

  it('a changed pack file shows as that one file’s diff, then syncs', async () => {
    writeFileSync(join(sshd.dir, 'packs/core/pack.yaml'), 'name: core\nversion: 1.0.1\n');
    const diff = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('everyOperation'), '--json', '--exit-code']);
    assert.equal(diff.code, 8);
    const changes = diff.json.hosts[0]!.steps.flatMap((s) => s.changes);
    assert.equal(changes.length, 2, 'the sync and the handler it notifies');
    assert.match(changes[0]!.diff!, /-version: 1\.0\.0\n\+version: 1\.0\.1/);
    const apply = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('everyOperation')]);
    assert.equal(apply.code, 0, apply.stderr);
    assert.equal(readFileSync(join(ws.target, 'packs/core/pack.yaml'), 'utf8'), 'name: core\nversion: 1.0.1\n');
  });

  it('the secret never appears in stdout, stderr or JSON of any command', async () => {
    execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-q', '-c', `ALTER ROLE st2prov_test_${process.pid} PASSWORD 'something-else'`]);
    writeFileSync(join(ws.target, 'etc/app.conf'), 'tampered\n');
    for (const args of [['diff', '--json'], ['diff', '-v'], ['apply', '--json'], ['apply', '-v']]) {
      const run = await st2prov([args[0]!, ws.inventory, '--playbook', testPlaybook('everyOperation'), args[1]!]);
      const all = run.stdout + run.stderr;
      assert.ok(all.length > 0);
      assert.ok(!all.includes(secret), `${args.join(' ')} leaks the PostgreSQL password`);
      assert.ok(!all.includes(encodeURIComponent(readGeneratedSecret(ws, 'app_password'))), `${args.join(' ')} leaks the generated secret`);
    }
    const hosts = await st2prov(['hosts', ws.inventory, '--json']);
    assert.ok(!hosts.stdout.includes(secret));
    assert.match(hosts.stdout, /"pg_role_password": "\*{8}"/);
  });

  it('keeps generated secrets beside the inventory, mode 0600, the same on every run', () => {
    const file = join(ws.dir, 'inventory.st2prov/secrets.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const value = readGeneratedSecret(ws, 'app_password');
    assert.ok(value.length >= 20);
    assert.ok(readFileSync(join(ws.target, 'etc/app.conf'), 'utf8').includes(encodeURIComponent(value)));
  });
});

function readGeneratedSecret(ws: Workspace, name: string): string {
  return (JSON.parse(readFileSync(join(ws.dir, 'inventory.st2prov/secrets.json'), 'utf8')) as Record<string, string>)[name]!;
}
