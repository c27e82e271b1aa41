import { spawn } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ADMIN_USER, REPO_URL, runDir, type LabHostSpec } from './config.js';
import { run } from './sh.js';

export interface RunningHost extends LabHostSpec {
  /** the unshare process; PID 1 of the host is its child */
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
 * repository as its only apt source.
 */
export function prepareHost(base: string, host: LabHostSpec, clientPublicKey: string, repoKeyring: string): string {
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
  put('etc/hosts', `127.0.0.1\tlocalhost\n${host.address}\t${host.name}\n`);
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
  return hostKey;
}

/** Starts the host: its own PID, mount, UTS and IPC namespaces in its network namespace. */
export function startHost(base: string, host: LabHostSpec): { pid: number } {
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
