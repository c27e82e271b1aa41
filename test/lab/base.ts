import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ADMIN_USER, labDir } from './config.js';
import { log, run } from './sh.js';

/**
 * What every lab host has before st2prov touches it: a minimal Debian with systemd as its
 * init, sshd and sudo. One base serves both flavours: a sysvinit host boots tini instead.
 */
export const BASE_PACKAGES = ['systemd', 'systemd-sysv', 'dbus', 'openssh-server', 'sudo', 'python3', 'iproute2', 'procps', 'ca-certificates', 'tini', 'sysvinit-utils', 'init-system-helpers', 'mount', 'less'];
const SUITE = 'bookworm';
const MIRROR = 'http://deb.debian.org/debian';
/** bump when the customisation below changes: the cached base is rebuilt */
const BASE_RECIPE = 5;

/*
 * The sysvinit flavour: PID 1 is tini and this is its child. Mounts happen in the host's own
 * mount namespace, so they vanish with it. sshd runs in the foreground: the host lives as long
 * as it. (A systemd host boots /sbin/init, systemd itself, and sshd is its ssh.service.)
 */
const BOOT = `#!/bin/sh
set -e
mount -t proc proc /proc
mount -t tmpfs -o mode=0755,nosuid,nodev tmpfs /run
mkdir -p /run/lock /run/sshd
chmod 1777 /run/lock
hostname "$1"
exec /usr/sbin/sshd -D -e
`;

// sysvinit flavour: invoke-rc.d asks runlevel whether services may start; tini has no answer
export const SYSV_RUNLEVEL = '#!/bin/sh\necho "N 2"\n';

/*
 * Timers that would run apt on their own in the middle of a test (and hold its lock). A lab
 * host is otherwise the Debian systemd boots on any machine.
 */
const MASKED_UNITS = ['apt-daily.timer', 'apt-daily-upgrade.timer'];

const SSHD = `# st2prov lab: parallel tools open many channels and connections
HostKey /etc/ssh/ssh_host_ed25519_key
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
MaxSessions 64
MaxStartups 200:30:400
`;

export function baseDir(): string {
  const hash = createHash('sha256').update(JSON.stringify({ BASE_PACKAGES, SUITE, BASE_RECIPE })).digest('hex').slice(0, 12);
  return join(labDir, `base-${hash}`);
}

/** Builds the base root once (mmdebstrap); later calls reuse it until its recipe changes. */
export function ensureBase(): string {
  const dir = baseDir();
  if (existsSync(join(dir, '.complete'))) return dir;
  mkdirSync(labDir, { recursive: true });
  for (const old of readdirSync(labDir).filter((d) => d.startsWith('base-') && join(labDir, d) !== dir)) {
    rmSync(join(labDir, old), { recursive: true, force: true });
  }
  const building = `${dir}.building`;
  rmSync(building, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
  log(`building the base root with mmdebstrap (${BASE_PACKAGES.length} packages, once)`);
  run('mmdebstrap', ['--mode=root', '--variant=apt', `--include=${BASE_PACKAGES.join(',')}`, SUITE, building, MIRROR]);
  // each host gets its own host keys; the base must not carry any
  for (const f of readdirSync(join(building, 'etc/ssh')).filter((f) => f.startsWith('ssh_host_'))) rmSync(join(building, 'etc/ssh', f));
  // hosts trust only the lab repository, written per host
  rmSync(join(building, 'etc/apt/sources.list'), { force: true });
  for (const f of readdirSync(join(building, 'etc/apt/sources.list.d'))) rmSync(join(building, 'etc/apt/sources.list.d', f));
  writeFileSync(join(building, 'usr/local/sbin/st2lab-boot'), BOOT, { mode: 0o755 });
  for (const unit of MASKED_UNITS) symlinkSync('/dev/null', join(building, 'etc/systemd/system', unit));
  // every host gets its own machine id (written per host); an empty one means "first boot"
  writeFileSync(join(building, 'etc/machine-id'), '');
  writeFileSync(join(building, 'etc/ssh/sshd_config.d/st2lab.conf'), SSHD);
  writeFileSync(join(building, 'etc/apt/apt.conf.d/90st2lab'), 'Acquire::Languages "none";\nAPT::Install-Recommends "false";\n');
  run('chroot', [building, 'useradd', '--create-home', '--shell', '/bin/bash', ADMIN_USER]);
  run('chroot', [building, 'usermod', '-p', '*', ADMIN_USER]);
  writeFileSync(join(building, 'etc/sudoers.d/labadmin'), `${ADMIN_USER} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
  chmodSync(join(building, 'etc/sudoers.d/labadmin'), 0o440);
  writeFileSync(join(building, '.complete'), `${new Date().toISOString()}\n`);
  renameSync(building, dir);
  return dir;
}
