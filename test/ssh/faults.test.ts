import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { failures, projectDir, st2prov, testPlaybook } from '../harness/cli.js';
import { SUDO_PASSWORD_USER, useSshd } from '../harness/sshd.js';
import { workspace } from '../harness/workspace.js';

const FAULTS = testPlaybook('faults');

describe('faults stay with their host, and nothing is left half-written', () => {
  const sshd = useSshd();
  let garbage: Server;
  let garbagePort = 0;
  before(async () => {
    // a port that answers, but not SSH: an HTTP server's greeting, then it hangs up
    garbage = createServer((socket) => socket.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n'));
    await new Promise<void>((resolve) => garbage.listen(0, '127.0.0.1', resolve));
    garbagePort = (garbage.address() as { port: number }).port;
  });
  after(() => garbage.close());

  it('a host whose port speaks another protocol fails alone: the others finish, the recap lists every host', async () => {
    const ws = workspace(sshd(), { logins: ['root', 'sudo-nopasswd'] });
    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace('[testhosts]\n', `[testhosts]\nhttp-not-ssh ansible_host=127.0.0.1 ansible_port=${garbagePort}\n`));
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--retries', '0', '--json']);
    assert.equal(run.code, 4, failures(run));
    assert.deepEqual(run.json.hosts.map((h) => [h.host, h.unreachable, h.failed]), [['http-not-ssh', 1, 0], ['root', 0, 0], ['sudo-nopasswd', 0, 0]]);
    assert.match(run.json.hosts[0]!.reason!, /cannot connect to .*127\.0\.0\.1:\d+/);
    assert.doesNotMatch(run.stderr, /internal error|\n\s+at /, 'no stack trace');
    assert.equal(readFileSync(join(ws.target, 'root.whoami'), 'utf8'), 'root\n');
  });

  it('a host whose key type is not the one known_hosts has fails alone, with the reason', async () => {
    const file = join(sshd().dir, 'known_hosts.rsa');
    // an RSA key for the host: the server has only ed25519, so no host key algorithm is agreed
    const rsa = 'AAAAB3NzaC1yc2EAAAADAQABAAAAgQDKxJ3y1bQ3u5oW7zqf1o3m3H3D0kqvLXt1Z4w8F0aGJ5Y2l3cJm7u5F0nQ5P9zZ0iZ4q0YbY4m3B1pLQkq9YFz1z8u7b1rY0xXH5hQ0g0mQ5X2N8u3s0f1n8Yj5F7b8l6x2b4cY7nU6e0Xo3sY8Zs0Ht5xJ6kqj0p2v1U8Zr5c1w==';
    writeFileSync(file, `[127.0.0.1]:${sshd().port} ssh-rsa ${rsa}\n`);
    const good = workspace(sshd(), { logins: ['root'] });
    const bad = workspace(sshd(), { logins: ['sudo-nopasswd'], knownHosts: file });
    const inventory = `${readFileSync(good.inventory, 'utf8')}\n[mismatch]\n${readFileSync(bad.inventory, 'utf8').split('\n')[1]!.replace(/^sudo-nopasswd/, 'rsa-expected')} ansible_ssh_common_args='-o UserKnownHostsFile=${file}'\n`;
    writeFileSync(good.inventory, inventory);
    const run = await st2prov(['apply', good.inventory, '--playbook', testPlaybook('become'), '--retries', '0', '--json']);
    assert.equal(run.code, 4, failures(run));
    const mismatch = run.json.hosts.find((h) => h.host === 'rsa-expected')!;
    assert.equal(mismatch.unreachable, 1);
    assert.ok(mismatch.reason, 'a reason is given');
    assert.equal(run.json.hosts.find((h) => h.host === 'root')!.failed, 0);
    assert.doesNotMatch(run.stderr, /internal error/);
  });

  it('a wrong become password fails that host within seconds with a clear message; the others finish', async () => {
    const ws = workspace(sshd(), { logins: ['root', 'sudo-password'] });
    writeFileSync(ws.inventory, readFileSync(ws.inventory, 'utf8').replace(/ansible_become_password="[^"\n]*"/, 'ansible_become_password="not the password"'));
    const t0 = Date.now();
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), '--json']);
    const seconds = (Date.now() - t0) / 1000;
    assert.equal(run.code, 4, failures(run));
    const host = run.json.hosts.find((h) => h.host === 'sudo-password')!;
    // the test user of the lab slot: st2prov-pw, st2prov3-pw, ...
    assert.match(host.reason!, new RegExp(`cannot become root with sudo as ${SUDO_PASSWORD_USER}: .*(incorrect password|Sorry)`, 'i'));
    assert.ok(seconds < 120, `answered in ${seconds} s, not hung`);
    assert.equal(readFileSync(join(ws.target, 'root.whoami'), 'utf8'), 'root\n');
    assert.ok(!(run.stdout + run.stderr).includes('not the password'), 'the wrong password is not printed either');
  });

  it('a connection reset in the middle of a run fails that host as unreachable; the others finish', async () => {
    const ws = workspace(sshd(), { logins: ['root', 'sudo-nopasswd'], vars: { cut_here: 'sudo-nopasswd' } });
    const run = await st2prov(['apply', ws.inventory, '--playbook', FAULTS, '--tags', 'cut', '--json']);
    assert.equal(run.code & 4, 4, failures(run));
    const cut = run.json.hosts.find((h) => h.host === 'sudo-nopasswd')!;
    assert.match(cut.reason!, /lost the connection|connection/);
    assert.ok(!existsSync(join(ws.target, 'sudo-nopasswd.after')), 'nothing ran there after the cut');
    assert.equal(readFileSync(join(ws.target, 'root.after'), 'utf8'), 'ran\n');
    assert.doesNotMatch(run.stderr, /internal error/);
  });

  it('st2prov killed while a file travels leaves the live file whole, and the next apply sweeps the temp file', async () => {
    const ws = workspace(sshd(), { vars: { big_mb: '48', big_char: 'a' } });
    const first = await st2prov(['apply', ws.inventory, '--playbook', FAULTS, '--tags', 'big']);
    assert.equal(first.code, 0, first.stderr);
    const live = join(ws.target, 'big.bin');
    const before = readFileSync(live);
    // the new content differs; kill st2prov while it is being sent
    const child: ChildProcess = spawn(process.execPath, [`${projectDir}bin/st2prov.js`, 'apply', ws.inventory, '--playbook', FAULTS, '--tags', 'big', '-e', 'big_char=b'], { stdio: 'ignore', env: { ...process.env, CI: 'true' } });
    // as long as the run lasts (a loaded machine makes its start slow), at most 3 minutes
    const deadline = Date.now() + 180_000;
    const sending = () => readdirSync(ws.target).some((f) => f.startsWith('.st2prov.'));
    while (!sending() && child.exitCode === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    assert.ok(sending(), child.exitCode === null ? 'the transfer had begun within 3 minutes' : 'the transfer was caught before the run ended');
    // what every user of the host sees (ps): the digest of the bytes in flight is not there
    const digest = createHash('sha256').update(Buffer.alloc(48 * 1024 * 1024, 'b')).digest('hex');
    const commandLines = readdirSync('/proc').filter((p) => /^\d+$/.test(p)).map((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1');
      } catch {
        return '';
      }
    });
    assert.ok(commandLines.some((c) => c.includes('.st2prov.')), 'the writing script was seen running');
    assert.ok(!commandLines.some((c) => c.includes(digest)), 'no command line holds the SHA-256 of the content');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(readFileSync(live).equals(before), 'the live file is the old one, whole');
    const again = await st2prov(['apply', ws.inventory, '--playbook', FAULTS, '--tags', 'big', '-e', 'big_char=b']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(readFileSync(live, 'utf8', ).length, 48 * 1024 * 1024);
    assert.ok(readFileSync(live, 'utf8').startsWith('bbbb'));
    assert.deepEqual(readdirSync(ws.target).filter((f) => f.startsWith('.st2prov.')), [], 'no temp file left');
  });

  it('a symlinked config is written through: the link stays a link, its target gets the content', async () => {
    const ws = workspace(sshd(), { vars: { link_content: 'through the link' } });
    writeFileSync(join(ws.target, 'real.conf'), 'old\n');
    symlinkSync('real.conf', join(ws.target, 'link.conf'));
    const run = await st2prov(['apply', ws.inventory, '--playbook', FAULTS, '--tags', 'link']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(lstatSync(join(ws.target, 'link.conf')).isSymbolicLink());
    assert.equal(readlinkSync(join(ws.target, 'link.conf')), 'real.conf');
    assert.equal(readFileSync(join(ws.target, 'real.conf'), 'utf8'), 'through the link\n');
    const again = await st2prov(['apply', ws.inventory, '--playbook', FAULTS, '--tags', 'link', '--json']);
    assert.equal(again.json.hosts[0]!.changed, 0, 'converged through the link');
  });
});
