import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUDO_CACHED_USER, SUDO_NOPASSWD_USER, SUDO_PASSWORD, SUDO_PASSWORD_USER, type Sshd } from './sshd.js';
import { tempDir } from './tempDir.js';

export interface Workspace {
  dir: string;
  /** the folder the playbooks write into ("the host's" files) */
  target: string;
  inventory: string;
}

/**
 * How each test host logs in: as root; as a user with passwordless sudo; one whose sudo asks
 * for the password; passwordless sudo with a become password set all the same (it must never
 * reach a command); one whose sudo asks once and then remembers it for every session.
 */
export type Login = 'root' | 'sudo-nopasswd' | 'sudo-password' | 'sudo-nopasswd-with-password' | 'sudo-cached';

const USERS: Record<Login, string> = {
  root: 'root',
  'sudo-nopasswd': SUDO_NOPASSWD_USER,
  'sudo-password': SUDO_PASSWORD_USER,
  'sudo-nopasswd-with-password': SUDO_NOPASSWD_USER,
  'sudo-cached': SUDO_CACHED_USER,
};

/** An inventory for the test sshd (one host per login kind asked for) and a clean target folder. */
export function workspace(sshd: Sshd, options: { logins?: Login[]; vars?: Record<string, string>; knownHosts?: string; port?: number; becomeUser?: string } = {}): Workspace {
  const dir = tempDir('ws');
  const target = join(dir, 'target');
  mkdirSync(target, { mode: 0o755 });
  const logins = options.logins ?? ['root'];
  const hostLines = logins.map((login) => {
    const become = login === 'root' ? '' : ` ansible_become=true${options.becomeUser ? ` ansible_become_user=${options.becomeUser}` : ''}`;
    const password = ['sudo-password', 'sudo-nopasswd-with-password', 'sudo-cached'].includes(login) ? ` ansible_become_password="${SUDO_PASSWORD.replace(/"/g, '\\"')}"` : '';
    return `${login} ansible_host=127.0.0.1 ansible_port=${options.port ?? sshd.port} ansible_user=${USERS[login]}${become}${password}`;
  });
  const vars = { test_dir: target, ...(options.vars ?? {}) };
  const inventory = join(dir, 'inventory.ini');
  writeFileSync(inventory, [
    '[testhosts]',
    ...hostLines,
    '',
    '[all:vars]',
    `ansible_ssh_private_key_file=${sshd.clientKey}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${options.knownHosts ?? sshd.knownHosts}'`,
    ...Object.entries(vars).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
    '',
  ].join('\n'));
  return { dir, target, inventory };
}
