import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { UsageError } from '../core/errors.js';

/** What st2prov takes from the OpenSSH client config for one host. */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
  knownHostsFiles: string[];
}

/**
 * The OpenSSH client config, read by OpenSSH itself: `ssh -G` prints what ssh would use for
 * a host after every Host and Match block, Include, %-token and first-value-wins rule. No
 * reader of ours could match it exactly; with no config file there is nothing to ask.
 */
export class SshConfig {
  private readonly cache = new Map<string, Promise<SshConfigEntry>>();

  private constructor(private readonly file: string | undefined, private readonly present: boolean) {}

  /** --ssh-config FILE (must exist), else ~/.ssh/config when there is one. */
  static load(file?: string): SshConfig {
    if (file !== undefined) {
      if (!existsSync(file)) throw new UsageError(`--ssh-config ${file} does not exist`, 'give the path of an OpenSSH client config');
      return new SshConfig(file, true);
    }
    return new SshConfig(undefined, existsSync(`${homedir()}/.ssh/config`));
  }

  /** The config for an alias; the user and port the inventory sets take part in Match, as with ssh -l/-p. */
  lookup(alias: string, given: { user?: string; port?: number } = {}): Promise<SshConfigEntry> {
    if (!this.present) return Promise.resolve({ identityFiles: [], knownHostsFiles: [] });
    const key = JSON.stringify([alias, given.user, given.port]);
    let entry = this.cache.get(key);
    if (!entry) {
      const args = ['-G', ...(this.file ? ['-F', this.file] : []), ...(given.user ? ['-l', given.user] : []), ...(given.port ? ['-p', String(given.port)] : []), '--', alias];
      entry = resolved(args, this.file ?? '~/.ssh/config').then((text) => parse(text, alias));
      this.cache.set(key, entry);
    }
    return entry;
  }
}

function resolved(args: string[], file: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', () => reject(new UsageError(`reading ${file} needs OpenSSH's ssh client, which is not installed`, 'install openssh-client on the control machine')));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new UsageError(`${file}: ${err.trim().split('\n')[0] || `ssh -G exited ${code}`}`, 'fix the OpenSSH client config (ssh -G shows how ssh reads it)'))));
  });
}

/** ssh -G's "key value" lines; only what differs from the plain host name counts as configured. */
function parse(text: string, alias: string): SshConfigEntry {
  const entry = readLines(text, alias);
  // ssh expands these tokens of IdentityFile when it connects, not in -G's output
  const tokens: Record<string, string> = { '%': '%', h: entry.hostName ?? alias, n: alias, r: entry.user ?? '', p: String(entry.port ?? 22), u: process.env.USER ?? '', d: homedir() };
  entry.identityFiles = entry.identityFiles.map((f) => f.replace(/%([%hnrpud])/g, (_m, t: string) => tokens[t]!));
  return entry;
}

function readLines(text: string, alias: string): SshConfigEntry {
  const entry: SshConfigEntry = { identityFiles: [], knownHostsFiles: [] };
  for (const line of text.split('\n')) {
    const at = line.indexOf(' ');
    if (at < 0) continue;
    const key = line.slice(0, at);
    const value = line.slice(at + 1).trim();
    if (key === 'hostname' && value.toLowerCase() !== alias.toLowerCase()) entry.hostName = value;
    else if (key === 'user') entry.user = value;
    else if (key === 'port') entry.port = Number(value);
    else if (key === 'proxyjump' && value.toLowerCase() !== 'none') entry.proxyJump = value;
    else if (key === 'identityfile') entry.identityFiles.push(expandHome(value));
    else if (key === 'userknownhostsfile') entry.knownHostsFiles.push(...value.split(/\s+/).map(expandHome));
  }
  return entry;
}

export function expandHome(path: string): string {
  return path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}
