import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { matchesPatternList } from './wildcard.js';

/**
 * The part of ~/.ssh/config that st2prov honours: Host blocks (patterns, negation) with
 * HostName, User, Port, IdentityFile, ProxyJump. As in OpenSSH the first value found wins;
 * IdentityFile accumulates. Match blocks are skipped.
 */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  proxyJump?: string;
}

interface Block {
  patterns: string[];
  options: [string, string][];
}

export class SshConfig {
  private blocks: Block[] = [];
  constructor(text = '') {
    let current: Block = { patterns: ['*'], options: [] };
    this.blocks.push(current);
    for (const raw of text.split('\n')) {
      const line = raw.trim();
      if (!line || line.startsWith('#')) continue;
      const m = /^(\S+?)(?:\s*=\s*|\s+)(.+)$/.exec(line);
      if (!m) continue;
      const key = m[1]!.toLowerCase();
      const value = m[2]!.replace(/^"(.*)"$/, '$1');
      if (key === 'host') {
        current = { patterns: value.split(/\s+/), options: [] };
        this.blocks.push(current);
      } else if (key === 'match') {
        current = { patterns: [], options: [] };
        this.blocks.push(current);
      } else {
        current.options.push([key, value]);
      }
    }
  }

  static load(file = `${homedir()}/.ssh/config`): SshConfig {
    return new SshConfig(existsSync(file) ? readFileSync(file, 'utf8') : '');
  }

  lookup(alias: string): SshConfigEntry {
    const entry: SshConfigEntry = { identityFiles: [] };
    for (const block of this.blocks) {
      if (!matchesPatternList(block.patterns, alias)) continue;
      for (const [key, value] of block.options) {
        if (key === 'hostname' && entry.hostName === undefined) entry.hostName = value.replace(/%h/g, alias);
        else if (key === 'user' && entry.user === undefined) entry.user = value;
        else if (key === 'port' && entry.port === undefined) entry.port = Number(value);
        else if (key === 'proxyjump' && entry.proxyJump === undefined && value.toLowerCase() !== 'none') entry.proxyJump = value;
        else if (key === 'identityfile') entry.identityFiles.push(expandHome(value.replace(/%h/g, alias)));
      }
    }
    return entry;
  }
}

export function expandHome(path: string): string {
  return path.startsWith('~/') ? `${homedir()}${path.slice(1)}` : path;
}
