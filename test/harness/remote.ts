import { spawnSync } from 'node:child_process';
import type { Lab } from '../lab/lab.js';

/** Runs a command on a lab host with OpenSSH's own client, strict host key checking on. */
export function ssh(lab: Lab, address: string, command: string, user = 'root'): { code: number; stdout: string; stderr: string } {
  const r = spawnSync('ssh', [
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${lab.knownHosts}`,
    '-o', 'ConnectTimeout=5',
    '-i', lab.clientKey,
    `${user}@${address}`,
    command,
  ], { encoding: 'utf8', timeout: 300_000 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
