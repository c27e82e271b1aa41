import { createHash, createHmac, randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync } from 'node:fs';
import { NotReadWhole, readAtMost } from '../core/boundedRead.js';
import { dirname } from 'node:path';
import { UsageError } from '../core/errors.js';
import { matchesPatternList } from '../core/glob.js';

/**
 * OpenSSH known_hosts: plain and hashed (`|1|salt|hmac`) host fields, `[host]:port` for
 * ports other than 22, `@revoked` markers. `@cert-authority` lines are not host keys and
 * are ignored.
 */
export type HostKeyVerdict =
  | { status: 'known' }
  | { status: 'unknown'; fingerprint: string; keyType: string }
  | { status: 'changed'; fingerprint: string; keyType: string; line: number }
  | { status: 'revoked'; fingerprint: string; line: number };

interface Entry {
  marker: string | undefined;
  hosts: string;
  keyType: string;
  key: Buffer;
  line: number;
}

export function hostField(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

export function fingerprint(key: Buffer): string {
  return `SHA256:${createHash('sha256').update(key).digest('base64').replace(/=+$/, '')}`;
}

/** The key type is the first string inside the SSH wire-format key blob. */
export function keyTypeOf(key: Buffer): string {
  const len = key.readUInt32BE(0);
  return key.subarray(4, 4 + len).toString('ascii');
}

/** A known_hosts of a hundred thousand hosts is ~10 MB. */
const KNOWN_HOSTS_LIMIT = 64 * 1024 * 1024;

export class KnownHosts {
  private entries: Entry[] = [];
  /** `record: false` (a dry run): keys accepted now are trusted for this run, not written */
  constructor(readonly file: string, private readonly options: { record: boolean } = { record: true }) {
    if (!existsSync(file)) return;
    let text: string;
    try {
      text = readAtMost(file, KNOWN_HOSTS_LIMIT).toString('utf8');
    } catch (err) {
      throw new UsageError(`cannot read known_hosts ${err instanceof NotReadWhole ? err.message : `${file}: ${(err as NodeJS.ErrnoException).code ?? err}`}`, 'give the path of a known_hosts file (--known-hosts, or UserKnownHostsFile in ansible_ssh_common_args)');
    }
    this.entries = parse(text);
  }

  private matching(host: string, port: number): Entry[] {
    const field = hostField(host, port);
    return this.entries.filter((e) => e.marker !== '@cert-authority' && matchesHost(e.hosts, field));
  }

  /** Key types known for this host, so the handshake can ask for one of those. */
  knownTypes(host: string, port: number): string[] {
    return [...new Set(this.matching(host, port).filter((e) => !e.marker).map((e) => e.keyType))];
  }

  verify(host: string, port: number, key: Buffer): HostKeyVerdict {
    const entries = this.matching(host, port);
    const fp = fingerprint(key);
    const keyType = keyTypeOf(key);
    const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
    if (revoked) return { status: 'revoked', fingerprint: fp, line: revoked.line };
    const plain = entries.filter((e) => !e.marker);
    if (plain.some((e) => e.key.equals(key))) return { status: 'known' };
    if (plain.length > 0) return { status: 'changed', fingerprint: fp, keyType, line: plain[0]!.line };
    return { status: 'unknown', fingerprint: fp, keyType };
  }

  /** Appends a hashed entry, as `ssh -o HashKnownHosts=yes` would; never rewrites the file. */
  append(host: string, port: number, key: Buffer): void {
    const salt = randomBytes(20);
    const hash = createHmac('sha1', salt).update(hostField(host, port)).digest();
    const line = `|1|${salt.toString('base64')}|${hash.toString('base64')} ${keyTypeOf(key)} ${key.toString('base64')}\n`;
    this.entries.push(...parse(line));
    if (!this.options.record) return;
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    appendFileSync(this.file, line, { mode: 0o600 });
    this.entries.push({ marker: undefined, hosts: line.split(' ')[0]!, keyType: keyTypeOf(key), key, line: 0 });
  }
}

function parse(text: string): Entry[] {
  const out: Entry[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    const marker = fields[0]!.startsWith('@') ? fields.shift() : undefined;
    const [hosts, keyType, key] = fields;
    if (!hosts || !keyType || !key) return;
    out.push({ marker, hosts, keyType, key: Buffer.from(key, 'base64'), line: i + 1 });
  });
  return out;
}

function matchesHost(hosts: string, field: string): boolean {
  if (hosts.startsWith('|1|')) {
    const [, , salt, hash] = hosts.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(field).digest('base64') === hash;
  }
  return matchesPatternList(hosts.split(','), field);
}
