import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { failures, st2prov, testPlaybook } from '../harness/cli.js';
import { SUDO_PASSWORD, useSshd } from '../harness/sshd.js';
import { workspace } from '../harness/workspace.js';
import { FILE_TEXT, STDIN_TEXT } from './playbooks/stdin.js';


describe('SSH transport against a real sshd', () => {
  const sshd = useSshd();

  it('refuses an unknown host key with its fingerprint and the remedy, touching nothing', async () => {
    const empty = join(sshd().dir, 'known_hosts.empty');
    writeFileSync(empty, '');
    const ws = workspace(sshd(), { knownHosts: empty });
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--json']);
    assert.equal(run.code, 4);
    const fp = execFileSync('ssh-keygen', ['-l', '-f', join(sshd().dir, 'host_key.pub')]).toString().split(' ')[1]!;
    assert.ok(run.json.hosts[0]!.reason!.includes(fp), `names the fingerprint ${fp}: ${run.json.hosts[0]!.reason}`);
    assert.match(run.json.hosts[0]!.reason!, /unknown host key .*--accept-new-host-keys/);
    assert.equal(readFileSync(empty, 'utf8'), '');
    assert.ok(!existsSync(join(ws.target, 'root.conf')));
  });

  it('--accept-new-host-keys appends the key hashed, and the next run trusts it', async () => {
    const file = join(sshd().dir, 'known_hosts.accept');
    writeFileSync(file, '# mine\n');
    const ws = workspace(sshd(), { knownHosts: file });
    const first = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--accept-new-host-keys']);
    assert.equal(first.code, 0, first.stderr);
    const text = readFileSync(file, 'utf8');
    assert.ok(text.startsWith('# mine\n|1|'), 'appended, hashed, nothing rewritten');
    const second = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('become')]);
    assert.equal(second.code, 0, second.stderr);
  });

  it('refuses a changed host key, even with --accept-new-host-keys', async () => {
    const file = join(sshd().dir, 'known_hosts.changed');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(sshd().dir, 'other_key')]);
    const otherKey = readFileSync(join(sshd().dir, 'other_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(file, `[127.0.0.1]:${sshd().port} ${otherKey}\n`);
    const ws = workspace(sshd(), { knownHosts: file });
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--accept-new-host-keys', '--json']);
    assert.equal(run.code, 4);
    assert.match(run.json.hosts[0]!.reason!, /HOST KEY CHANGED .* line 1/);
    assert.equal(readFileSync(file, 'utf8'), `[127.0.0.1]:${sshd().port} ${otherKey}\n`);
  });

  it('becomes root with passwordless sudo and with a sudo password sent on stdin', async () => {
    const ws = workspace(sshd(), { logins: ['sudo-nopasswd', 'sudo-password'] });
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--json']);
    assert.equal(run.code, 0, failures(run));
    for (const host of ['sudo-nopasswd', 'sudo-password']) {
      assert.equal(readFileSync(join(ws.target, `${host}.whoami`), 'utf8'), 'root\n');
      const st = statSync(join(ws.target, `${host}.conf`));
      assert.equal(st.uid, 0);
      assert.equal(st.mode & 0o777, 0o600);
    }
    assert.ok(!(run.stdout + run.stderr).includes(SUDO_PASSWORD), 'the become password is never printed');
    const again = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--json']);
    assert.equal(again.json.hosts.reduce((n, h) => n + h.changed, 0), 0);

    // a secret st2prov never saw, standing where the new one will go, is not shown either
    writeFileSync(join(ws.target, 'sudo-password.conf'), 'secret=hand-written-old-secret\n');
    const diff = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('become'), '-e', 'app_password=the-new-app-secret']);
    assert.match(diff.stdout, /-secret=\*{8}\n\s+\+secret=\*{8}/);
    assert.ok(!(diff.stdout + diff.stderr).includes('hand-written-old-secret'));
    assert.ok(!(diff.stdout + diff.stderr).includes('the-new-app-secret'));
  });

  it('the become password reaches sudo only when sudo asks: passwordless sudo, a password, a remembered password; commands get exactly their stdin', async () => {
    const logins = ['sudo-nopasswd-with-password', 'sudo-password', 'sudo-cached'] as const;
    const ws = workspace(sshd(), { logins: [...logins] });
    // twice: the second time sudo-cached's password is remembered from the first (sudo does not ask)
    for (const round of [1, 2]) {
      for (const f of readdirSync(ws.target)) rmSync(join(ws.target, f));
      const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('stdin'), '--json']);
      assert.equal(run.code, 0, `round ${round}: ${failures(run)}`);
      for (const host of logins) {
        assert.equal(readFileSync(join(ws.target, `${host}.stdin`), 'utf8'), STDIN_TEXT, `round ${round}: ${host}'s command read its own stdin, nothing before it`);
        assert.equal(readFileSync(join(ws.target, `${host}.written`), 'utf8'), FILE_TEXT, `round ${round}: ${host}'s file`);
        assert.equal(readFileSync(join(ws.target, `${host}.whoami`), 'utf8'), 'root\n');
      }
      assert.ok(!(run.stdout + run.stderr).includes(SUDO_PASSWORD), 'the become password is never printed');
    }
  });

  it('becomes another user than root with or without a password sudo asks for', async () => {
    const ws = workspace(sshd(), { logins: ['sudo-nopasswd-with-password', 'sudo-password'], becomeUser: 'nobody' });
    chmodSync(ws.dir, 0o755);
    chmodSync(ws.target, 0o1777);
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('stdin'), '--json']);
    assert.equal(run.code, 0, failures(run));
    for (const host of ['sudo-nopasswd-with-password', 'sudo-password']) {
      assert.equal(readFileSync(join(ws.target, `${host}.whoami`), 'utf8'), 'nobody\n');
      assert.equal(readFileSync(join(ws.target, `${host}.stdin`), 'utf8'), STDIN_TEXT);
      assert.equal(statSync(join(ws.target, `${host}.written`)).uid, Number(execFileSync('id', ['-u', 'nobody']).toString().trim()));
    }
  });

  it('a run as a sudo user ends with its recap: nothing it started holds the process after its last output', async () => {
    const ws = workspace(sshd(), { logins: ['sudo-password', 'sudo-nopasswd'] });
    const first = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become')]);
    assert.equal(first.code, 0, first.stderr);
    const noop = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become')]);
    assert.equal(noop.code, 0, noop.stderr);
    assert.match(noop.stdout, /changed=0/);
    // the become check once waited 15 s for a timer after every run; any leftover timer, socket or channel shows here
    assert.ok(noop.quietMs < 3000, `the process ended ${noop.quietMs} ms after its last output`);
    for (const run of [first, noop]) assert.doesNotMatch(run.stderr, /still held the process/, 'nothing had to be cut off at the end');
  });

  it('reports a closed port as unreachable (exit 4) after bounded retries', async () => {
    const ws = workspace(sshd(), { port: 1 });
    const run = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('become'), '--retries', '1', '--json']);
    assert.equal(run.code, 4);
    assert.match(run.json.hosts[0]!.reason!, /cannot connect to root@127\.0\.0\.1:1: .*ECONNREFUSED/);
    assert.equal(run.json.hosts[0]!.unreachable, 1);
  });

  it('an apply with one unreachable and one failing host exits 6, the others unaffected', async () => {
    const good = workspace(sshd(), { logins: ['root', 'sudo-nopasswd'], vars: { fail_here: 'no' } });
    const text = readFileSync(good.inventory, 'utf8').replace(/^(sudo-nopasswd .*)$/m, '$1 fail_here=yes').replace('[testhosts]\n', `[testhosts]\nnowhere ansible_host=127.0.0.1 ansible_port=1\n`);
    writeFileSync(good.inventory, text);
    const run = await st2prov(['apply', good.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--skip-tags', 'slow', '--retries', '0', '--json']);
    assert.equal(run.code, 6, run.stderr);
    const byName = Object.fromEntries(run.json.hosts.map((h) => [h.host, h]));
    assert.equal(byName.nowhere!.unreachable, 1);
    assert.equal(byName['sudo-nopasswd']!.failed, 1);
    assert.match(byName['sudo-nopasswd']!.reason!, /may fail: fail on purpose failed \(exit 9\): failing on purpose/);
    assert.equal(byName.root!.failed, 0);
    assert.equal(byName.root!.reason, undefined);
    assert.equal(byName.root!.unreachable, 0);
  });

  it('honours ~/.ssh/config (through an Include): HostName, Port, User and ProxyJump through a bastion', async () => {
    const ws = workspace(sshd());
    const config = join(ws.dir, 'ssh_config');
    writeFileSync(config, `Include ${ws.dir}/ssh_config.d/*\nHost *\n  ServerAliveInterval 30\n`);
    mkdirSync(join(ws.dir, 'ssh_config.d'));
    writeFileSync(join(ws.dir, 'ssh_config.d', 'jumped'), `Host jumped\n  HostName 127.0.0.1\n  Port ${sshd().port}\n  User root\n  ProxyJump root@127.0.0.2:${sshd().port}\n`);
    const text = readFileSync(ws.inventory, 'utf8').replace(/^root .*$/m, 'jumped');
    writeFileSync(ws.inventory, text);
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--ssh-config', config, '--json']);
    assert.equal(run.code, 0, failures(run));
    assert.equal(readFileSync(join(ws.target, 'jumped.whoami'), 'utf8'), 'root\n');
  });

  it('--any-errors-fatal stops the hosts not yet started after the first failure', async () => {
    const ws = workspace(sshd(), { logins: ['sudo-nopasswd', 'root'] });
    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace(/^(sudo-nopasswd .*)$/m, '$1 fail_here=yes'));
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--skip-tags', 'slow', '--forks', '1', '--any-errors-fatal', '--json']);
    assert.equal(run.code, 2);
    const root = run.json.hosts.find((h) => h.host === 'root')!;
    assert.match(root.reason!, /not run: sudo-nopasswd failed and --any-errors-fatal is set/);
    assert.equal(root.steps.length, 0);
  });
});
