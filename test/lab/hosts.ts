import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { SYSV_RUNLEVEL } from './base.js';
import { ADMIN_USER, REPO_URL, runDir, type LabHostSpec, type LabInit } from './config.js';
import { cgroupPaths } from './cgroups.js';
import { run } from './sh.js';

export interface RunningHost extends LabHostSpec {
  init: LabInit;
  /**
   * sysvinit: the unshare process, whose child is the host's PID 1 (tini).
   * systemd: the launcher shell, whose child is systemd-nspawn, whose child is systemd.
   */
  pid: number;
  startTime: string | undefined;
  hostKey: string;
}

export function hostDir(name: string): string {
  return join(runDir, 'hosts', name);
}

/**
 * Writes what makes a host itself into its overlay's upper layer before it starts:
 * name, its own SSH host key, the lab client key for root and labadmin, and the lab
 * repository as its only apt source. /etc/hosts names every host of the lab, as a site's
 * DNS would (RabbitMQ and Erlang look peers up by name).
 */
export function prepareHost(base: string, host: LabHostSpec, init: LabInit, clientPublicKey: string, repoKeyring: string, all: readonly LabHostSpec[] = [host]): string {
  const dir = hostDir(host.name);
  const upper = join(dir, 'upper');
  for (const d of ['upper', 'work', 'merged']) mkdirSync(join(dir, d), { recursive: true });
  // folders in the upper layer hide the base's attributes: give them the base's mode and owner
  const folder = (path: string) => {
    const parts = path.split('/');
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join('/');
      if (existsSync(join(upper, rel))) continue;
      const like = statSync(join(base, rel), { throwIfNoEntry: false });
      mkdirSync(join(upper, rel), { mode: like?.mode ?? 0o755 });
      chmodSync(join(upper, rel), (like?.mode ?? 0o755) & 0o7777);
      if (like) chownSync(join(upper, rel), like.uid, like.gid);
    }
  };
  const put = (path: string, content: string | Buffer, mode = 0o644) => {
    folder(dirname(path));
    writeFileSync(join(upper, path), content, { mode });
  };
  put('etc/hostname', `${host.name}\n`);
  put('etc/hosts', `127.0.0.1\tlocalhost\n${[host, ...all.filter((h) => h.name !== host.name)].map((h) => `${h.address}\t${h.name}\n`).join('')}`);
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', `root@${host.name}`, '-f', join(dir, 'ssh_host_ed25519_key')]);
  put('etc/ssh/ssh_host_ed25519_key', readFileSync(join(dir, 'ssh_host_ed25519_key')), 0o600);
  const hostKey = readFileSync(join(dir, 'ssh_host_ed25519_key.pub'), 'utf8').trim();
  put('etc/ssh/ssh_host_ed25519_key.pub', `${hostKey}\n`);
  put('root/.ssh/authorized_keys', clientPublicKey, 0o600);
  const [uid, gid] = idsOf(base, ADMIN_USER);
  folder(`home/${ADMIN_USER}`);
  mkdirSync(join(upper, 'home', ADMIN_USER, '.ssh'), { mode: 0o700 });
  put(`home/${ADMIN_USER}/.ssh/authorized_keys`, clientPublicKey, 0o600);
  chownSync(join(upper, 'home', ADMIN_USER, '.ssh'), uid, gid);
  chownSync(join(upper, 'home', ADMIN_USER, '.ssh/authorized_keys'), uid, gid);
  put('usr/share/keyrings/st2lab-archive-keyring.gpg', readFileSync(repoKeyring));
  put('etc/apt/sources.list', `deb [signed-by=/usr/share/keyrings/st2lab-archive-keyring.gpg] ${REPO_URL}/debian ./\n`);
  if (init === 'systemd') put('etc/machine-id', `${randomBytes(16).toString('hex')}\n`, 0o444);
  else put('usr/sbin/runlevel', SYSV_RUNLEVEL, 0o755);
  return hostKey;
}

/** Starts the host in its network namespace, booting the init of its flavour. */
export function startHost(base: string, host: LabHostSpec, init: LabInit): { pid: number } {
  return init === 'systemd' ? startSystemdHost(base, host) : startSysvHost(base, host);
}

/*
 * systemd-nspawn boots the overlay root with systemd as PID 1, inside the host's network
 * namespace. This machine has no systemd of its own: with --register=no --keep-unit nspawn
 * uses the cgroup it was started in, so the launcher first moves into one of its own per host
 * (else every host lands in one shared cgroup). `reboot` in a host ends nspawn with 133: the
 * launcher boots it again, as a real machine would come back. Root in a host may configure the
 * network of its own namespace (CAP_NET_ADMIN), as on any machine: keepalived adds and removes
 * the load balancer's virtual address.
 */
const NSPAWN_LAUNCHER = `set -e
mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4"
for cg in "$7" "$8"; do mkdir -p "$cg"; echo $$ > "$cg/cgroup.procs"; done
while :; do
  rc=0
  systemd-nspawn --quiet -D "$4" --boot --register=no --keep-unit --machine="$5" --hostname="$6" \
    --network-namespace-path="/run/netns/$5" --capability=CAP_NET_ADMIN --console=read-only --link-journal=no --resolv-conf=off --timezone=off || rc=$?
  [ "$rc" -eq 133 ] || exit "$rc"
done`;

function startSystemdHost(base: string, host: LabHostSpec): { pid: number } {
  const dir = hostDir(host.name);
  const console = openSync(join(dir, 'console.log'), 'a');
  // the overlay is mounted in a private mount namespace: it goes away with the launcher
  const child = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', NSPAWN_LAUNCHER, 'sh',
    base, join(dir, 'upper'), join(dir, 'work'), join(dir, 'merged'), host.netns, host.name, ...cgroupPaths(host.netns)], {
    detached: true,
    stdio: ['ignore', console, console],
    // a clean cgroup2 view for the guest's systemd on this machine's hybrid hierarchy
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', SYSTEMD_NSPAWN_UNIFIED_HIERARCHY: '1' },
  });
  closeSync(console);
  child.unref();
  if (!child.pid) throw new Error(`cannot start lab host ${host.name}`);
  return { pid: child.pid };
}

/** sysvinit flavour: its own PID, mount, UTS and IPC namespaces, tini as PID 1 starting sshd. */
function startSysvHost(base: string, host: LabHostSpec): { pid: number } {
  const dir = hostDir(host.name);
  const console = openSync(join(dir, 'console.log'), 'a');
  // the overlay is mounted inside the host's private mount namespace: it goes away with it
  const script = 'mount -t overlay overlay -o "lowerdir=$1,upperdir=$2,workdir=$3" "$4" && exec chroot "$4" /usr/bin/tini -- /usr/local/sbin/st2lab-boot "$5"';
  const child = spawn('ip', ['netns', 'exec', host.netns, 'unshare', '--fork', '--pid', '--mount', '--uts', '--ipc', '--propagation', 'private',
    'sh', '-c', script, 'sh', base, join(dir, 'upper'), join(dir, 'work'), join(dir, 'merged'), host.name], {
    detached: true,
    stdio: ['ignore', console, console],
    env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8' },
  });
  closeSync(console);
  child.unref();
  if (!child.pid) throw new Error(`cannot start lab host ${host.name}`);
  return { pid: child.pid };
}

function idsOf(root: string, user: string): [number, number] {
  const line = readFileSync(join(root, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${user}:`));
  if (!line) throw new Error(`user ${user} missing from the lab base`);
  const [, , uid, gid] = line.split(':');
  return [Number(uid), Number(gid)];
}
