import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SUDO_NOPASSWD_USER, SUDO_PASSWORD, SUDO_PASSWORD_USER, type Sshd } from './sshd.js';
import { tempDir } from './tempDir.js';

export interface Workspace {
  dir: string;
  /** the folder the playbooks write into ("the host's" files) */
  target: string;
  inventory: string;
}

export type Login = 'root' | 'sudo-nopasswd' | 'sudo-password';

/** An inventory for the test sshd (one host per login kind asked for) and a clean target folder. */
export function workspace(sshd: Sshd, options: { logins?: Login[]; vars?: Record<string, string>; knownHosts?: string; port?: number } = {}): Workspace {
  const dir = tempDir('ws');
  const target = join(dir, 'target');
  mkdirSync(target, { mode: 0o755 });
  const logins = options.logins ?? ['root'];
  const hostLines = logins.map((login) => {
    const user = login === 'root' ? 'root' : login === 'sudo-nopasswd' ? SUDO_NOPASSWD_USER : SUDO_PASSWORD_USER;
    const become = login === 'root' ? '' : ' ansible_become=true';
    const password = login === 'sudo-password' ? ` ansible_become_password="${SUDO_PASSWORD.replace(/"/g, '\\"')}"` : '';
    return `${login} ansible_host=127.0.0.1 ansible_port=${options.port ?? sshd.port} ansible_user=${user}${become}${password}`;
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
