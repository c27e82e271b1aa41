import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { after, before } from 'node:test';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SLOT } from '../lab/config.js';

/*
 * Test users: one with passwordless sudo, one whose sudo needs its password, and one whose
 * sudo needs it once and then remembers it for every session (timestamp_type=global: what a
 * cached timestamp looks like to st2prov, whose commands run without a terminal). Two test runs
 * may share this machine (ST2PROV_LAB_SLOT, as the lab's slots): each has its own users and
 * sudoers file, so one run's clean-up never takes sudo away from the other's. (The port is
 * free-picked per run.)
 */
const RUN = SLOT === 0 ? 'st2prov' : `st2prov${SLOT}`;
export const SUDO_NOPASSWD_USER = `${RUN}-nopw`;
export const SUDO_PASSWORD_USER = `${RUN}-pw`;
export const SUDO_CACHED_USER = `${RUN}-pwc`;
export const SUDO_PASSWORD = "pw with 'quotes' $and spaces";
const SUDOERS = `/etc/sudoers.d/${RUN}-test`;

export interface Sshd {
  port: number;
  dir: string;
  clientKey: string;
  knownHosts: string;
  hostKeyLine: string;
  stop(): Promise<void>;
}

/** Fails loudly, never skips: these tests need root to run sshd and create users. */
export function requireRoot(what: string): void {
  assert.equal(process.getuid?.(), 0, `${what} need root (they start sshd and create test users); run them as root, as .ci/run does`);
}

function ensurePackage(binary: string, pkg: string): void {
  if (existsSync(binary)) return;
  execFileSync('apt-get', ['install', '-y', '-q', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function ensureUser(name: string, password?: string): void {
  try {
    execFileSync('id', [name], { stdio: 'ignore' });
  } catch {
    execFileSync('useradd', ['--create-home', '--shell', '/bin/sh', name]);
  }
  // a usable account: locked accounts ("!") are refused by sshd even for key logins
  execFileSync('chpasswd', [], { input: `${name}:${password ?? `unused-${Date.now()}`}\n` });
}

/** A real OpenSSH sshd on loopback with its own host key, for the test run only. */
export async function startSshd(): Promise<Sshd> {
  requireRoot('the SSH integration tests');
  ensurePackage('/usr/sbin/sshd', 'openssh-server');
  ensurePackage('/usr/bin/sudo', 'sudo');
  const dir = mkdtempSync(join(tmpdir(), 'st2prov-sshd-'));
  // sshd reads authorized_keys as the logging-in user: the folder must be searchable
  chmodSync(dir, 0o755);
  const port = await freePort();
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'host_key')]);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(dir, 'client_key')]);
  writeFileSync(join(dir, 'authorized_keys'), readFileSync(join(dir, 'client_key.pub')), { mode: 0o644 });
  ensureUser(SUDO_NOPASSWD_USER);
  ensureUser(SUDO_PASSWORD_USER, SUDO_PASSWORD);
  ensureUser(SUDO_CACHED_USER, SUDO_PASSWORD);
  writeFileSync(SUDOERS, [
    `${SUDO_NOPASSWD_USER} ALL=(ALL) NOPASSWD: ALL`,
    `${SUDO_PASSWORD_USER} ALL=(ALL) ALL`,
    `Defaults:${SUDO_CACHED_USER} timestamp_type=global, timestamp_timeout=60`,
    `${SUDO_CACHED_USER} ALL=(ALL) ALL`,
    '',
  ].join('\n'), { mode: 0o440 });
  mkdirSync('/run/sshd', { recursive: true, mode: 0o755 });
  writeFileSync(join(dir, 'sshd_config'), [
    `Port ${port}`,
    'ListenAddress 127.0.0.1',
    // a second address of the same sshd: a "bastion" that OpenSSH does not take for the target itself
    'ListenAddress 127.0.0.2',
    `HostKey ${join(dir, 'host_key')}`,
    `PidFile ${join(dir, 'sshd.pid')}`,
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    // the key file lives in a temp folder under /tmp (mode 1777), which StrictModes refuses
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'MaxSessions 32',
    'MaxStartups 64',
    'LogLevel ERROR',
    '',
  ].join('\n'));
  const child: ChildProcess = spawn('/usr/sbin/sshd', ['-D', '-e', '-f', join(dir, 'sshd_config')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr!.on('data', (c: Buffer) => (log += c.toString()));
  await waitForPort(port, () => (child.exitCode !== null ? `sshd exited: ${log}` : undefined));
  const hostKeyLine = `[127.0.0.1]:${port} ${readFileSync(join(dir, 'host_key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')}`;
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `${hostKeyLine}\n${hostKeyLine.replace('[127.0.0.1]', '[127.0.0.2]')}\n`);
  return {
    port,
    dir,
    clientKey: join(dir, 'client_key'),
    knownHosts,
    hostKeyLine,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await new Promise((r) => child.once('exit', r));
      }
      rmSync(SUDOERS, { force: true });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPort(port: number, failed: () => string | undefined): Promise<void> {
  const { connect } = await import('node:net');
  for (let i = 0; i < 100; i++) {
    const problem = failed();
    if (problem) throw new Error(problem);
    const open = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`sshd did not listen on ${port}`);
}

/** Gives a test file a real sshd for all its tests, always stopped afterwards. */
export function useSshd(): () => Sshd {
  let sshd: Sshd | undefined;
  before(async () => {
    sshd = await startSshd();
  });
  after(async () => {
    await sshd?.stop();
  });
  return () => {
    if (!sshd) throw new Error('sshd did not start (see the before hook’s error)');
    return sshd;
  };
}
