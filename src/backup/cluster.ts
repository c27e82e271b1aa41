import { Writable } from 'node:stream';
import { shellScript, type ExecRequest } from '../core/command.js';
import type { HostContext } from '../core/context.js';
import { BoundedOutput } from '../core/output.js';
import { RECEIVE_WHOLE } from '../ops/fileWrite.js';
import { RemoteCommandError } from '../core/errors.js';
import { mongoCommands, type MongoReply } from '../probes/mongo.js';
import type { DumpRef, Entry } from './archive.js';
import { LIMITS, MATERIAL_PATHS, ST2_DATABASE, headerProblem, hostEntryName, materialFileProblem } from './contents.js';
import { printable } from './format.js';

/*
 * What a backup takes from the hosts and puts back: st2's MongoDB database (streamed from
 * mongodump on a controller into the backup file, and from the file back to mongorestore,
 * inside the SSH connection), and the cluster's material as one blueprint has it. Every
 * blueprint holds the same material (`check` says when they differ), so one is enough.
 */

export { DUMP_ENTRY, ST2_DATABASE, MATERIAL_PATHS, NOT_RESTORED, isSecretFile } from './contents.js';

/*
 * The dump goes from mongodump's stdout (--archive without a file) straight into the backup
 * file; a mongodump that fails exits non-zero and the file is never made.
 */
const DUMP_ARGV = ['mongodump', '--quiet', '--host', '127.0.0.1', '--port', '27017', '--db', ST2_DATABASE, '--gzip', '--archive'];

/*
 * The dump comes on stdin into a private temp file, and mongorestore --drop runs only once
 * exactly the verified bytes arrived (size and SHA-256): a transfer cut by a dropped connection,
 * a killed st2prov or a backup file changed since it was verified leaves the database as it was.
 * It waits in /var/tmp, on disk (/tmp is often memory, and a dump may be GBs).
 */
const RESTORE = `set -e
${RECEIVE_WHOLE}
umask 077
free=$(df -P -k /var/tmp | awk 'NR == 2 { print $4 }')
if [ -n "$free" ] && [ "$free" -lt $(($2 / 1024 + 1)) ]; then
  echo "the dump needs $2 bytes in /var/tmp on this controller, which has $((free * 1024)) free: the database was left as it was" >&2
  exit 75
fi
t=$(mktemp -p /var/tmp .st2prov-restore.XXXXXX)
trap 'rm -f "$t"' EXIT
trap 'exit 1' HUP INT TERM PIPE
receive_whole "$t" "$2" "$3" 'the database'
mongorestore --quiet --host 127.0.0.1 --port 27017 --nsInclude "$1.*" --drop --gzip --archive="$t"`;

/*
 * The material's listing, NUL-ended: "type mode owner group size path" then the link's target
 * (empty but for a link). -H: a material path that is itself a link is read through it (what
 * st2 reads); inside the folders a link is listed as a link.
 */
const LIST = `for p; do
  if [ -e "$p" ] || [ -L "$p" ]; then find -H "$p" -printf '%y %m %u %g %s %p\\0%l\\0' || exit 3; fi
done`;
const LISTING_LIMIT = 8 * 1024 * 1024;

/** Whether this controller's MongoDB is the primary (a lone server says it is). */
export async function isMongoPrimary(host: HostContext): Promise<boolean> {
  let hello: MongoReply;
  try {
    hello = (await mongoCommands(host, '127.0.0.1', 27017, [])).hello;
  } catch {
    return false;
  }
  return hello.ismaster === true || hello.isWritablePrimary === true;
}

/** st2's database, as mongodump's gzip archive, written to `sink` as it comes (the caller ends the sink). */
export async function dumpDatabase(host: HostContext, sink: Writable): Promise<void> {
  await host.run(`mongodump of the ${ST2_DATABASE} database on ${host.name}`, { argv: DUMP_ARGV, stdout: sink });
}

/** Replaces st2's database with a dump (mongorestore --drop); the dump goes on stdin, read from the backup file. */
export async function restoreDatabase(host: HostContext, dump: DumpRef): Promise<void> {
  await host.run(`mongorestore --drop of the ${ST2_DATABASE} database on ${host.name}`, { argv: shellScript(RESTORE, [ST2_DATABASE, String(dump.size), dump.sha256]), stdin: dump.open() });
}

/** What a blueprint holds that a backup cannot keep (a pipe, a name with control characters, a mode with setuid...), each named. */
export class MaterialRefused extends Error {
  constructor(readonly host: string, readonly problems: string[]) {
    super(`${host} holds what a backup cannot keep:\n  ${problems.slice(0, 20).join('\n  ')}${problems.length > 20 ? `\n  and ${problems.length - 20} more` : ''}`);
    this.name = 'MaterialRefused';
  }
}

/** One line of the listing. */
export interface Listed {
  type: string;
  mode: string;
  owner: string;
  group: string;
  size: number;
  /** the path as text; undefined when its bytes are not UTF-8 */
  path: string | undefined;
  /** the path for a message, escaped */
  shown: string;
  target: string | undefined;
}

const TYPES: Record<string, string> = { p: 'a named pipe', s: 'a socket', b: 'a block device', c: 'a character device', D: 'a door' };

/**
 * The blueprint's material as backup entries (`files/PATH` with its bytes, mode and owner,
 * `dirs/PATH`, `links/PATH` with its target), checked as restore checks them, so a backup is
 * never one restore refuses. `budget`: the most bytes its files may have together. Read in two
 * commands: the listing, checked here, then the files' bytes (no more than listed).
 */
export async function readMaterial(host: HostContext, budget: number): Promise<Entry[]> {
  const listing = parseListing(await collect(host, `listing the cluster's material on ${host.name}`, { argv: shellScript(LIST, MATERIAL_PATHS) }, LISTING_LIMIT));
  const problems = materialProblems(listing, budget);
  if (problems.length) throw new MaterialRefused(host.name, problems);
  const files = listing.filter((l) => l.type === 'f');
  const total = files.reduce((n, f) => n + f.size, 0);
  const changed = () => new RemoteCommandError(`reading the cluster's material on ${host.name}`, null, 'its files changed while they were read: take the backup again');
  const bytes = files.length
    ? await collect(host, `reading the cluster's material on ${host.name}`, { argv: ['xargs', '-0', '-r', 'cat', '--'], stdin: files.map((f) => `${f.path}\0`).join('') }, total, changed)
    : Buffer.alloc(0);
  if (bytes.length !== total) throw changed();
  const entries: Entry[] = [];
  let at = 0;
  for (const l of listing) {
    if (l.type === 'd') entries.push({ name: hostEntryName('dir', l.path!), mode: l.mode, owner: l.owner, group: l.group, data: Buffer.alloc(0) });
    else if (l.type === 'l') entries.push({ name: hostEntryName('link', l.path!), owner: l.owner, group: l.group, target: l.target!, data: Buffer.alloc(0) });
    else {
      const data = bytes.subarray(at, at + l.size);
      at += l.size;
      const problem = materialFileProblem(data);
      if (problem) throw new MaterialRefused(host.name, [`${l.shown}: ${problem}; move it out of the folder, or store it as text`]);
      entries.push({ name: hostEntryName('file', l.path!), mode: l.mode, owner: l.owner, group: l.group, data });
    }
  }
  return entries;
}

/** What of the listing a backup cannot keep, each named with its remedy; none when all of it fits. */
export function materialProblems(listing: readonly Listed[], budget: number): string[] {
  const problems: string[] = [];
  let total = 0;
  for (const l of listing) {
    if (TYPES[l.type] || !['f', 'd', 'l'].includes(l.type)) {
      problems.push(`${l.shown}: ${TYPES[l.type] ?? 'of an unknown type'}; a backup keeps files, folders and links: remove it, or move it out of ${l.shown.split('/').slice(0, 4).join('/')}`);
      continue;
    }
    if (l.path === undefined) {
      problems.push(`${l.shown}: its name is not UTF-8 text; rename it`);
      continue;
    }
    const kind = l.type === 'f' ? 'file' : l.type === 'd' ? 'dir' : 'link';
    const problem = headerProblem(kind === 'link'
      ? { name: hostEntryName(kind, l.path), owner: l.owner, group: l.group, target: l.target }
      : { name: hostEntryName(kind, l.path), mode: l.mode, owner: l.owner, group: l.group });
    if (problem) problems.push(`${l.shown}: ${problem}; ${remedyOf(problem)}`);
    if (kind === 'file') {
      total += l.size;
      if (l.size > LIMITS.materialFile) problems.push(`${l.shown}: ${l.size} bytes, more than a backup keeps of one file (${LIMITS.materialFile}); move it out`);
    }
  }
  if (total > budget) problems.push(`the material's files weigh ${total} bytes together, more than a backup keeps (${budget}); move the largest out of /opt/stackstorm/configs or /opt/stackstorm/rbac`);
  if (listing.length > LIMITS.entries) problems.push(`${listing.length} files, folders and links: more than a backup keeps (${LIMITS.entries})`);
  return problems;
}

function remedyOf(problem: string): string {
  if (problem.includes('mode')) return 'chmod it (nothing writable by others, no setuid, no setgid or sticky bit on a file)';
  if (problem.includes('owner') || problem.includes('group')) return 'chown it to a user and group with plain names';
  if (problem.includes('control characters') || problem.includes('UTF-8')) return 'rename it';
  if (problem.includes('link')) return 'make it a file, or point it at one';
  return 'move it out';
}

/** The listing's records (NUL-ended "type mode owner group size path", then the link's target). */
export function parseListing(bytes: Buffer): Listed[] {
  const fields: Buffer[] = [];
  for (let at = 0; at < bytes.length;) {
    const end = bytes.indexOf(0, at);
    if (end < 0) throw new RemoteCommandError('reading the cluster\'s material', 0, 'its listing is cut short');
    fields.push(bytes.subarray(at, end));
    at = end + 1;
  }
  if (fields.length % 2) throw new RemoteCommandError('reading the cluster\'s material', 0, 'its listing is cut short');
  const listed: Listed[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const record = fields[i]!;
    const spaces: number[] = [];
    for (let at = 0; spaces.length < 5; at += 1) {
      const next = record.indexOf(0x20, at);
      if (next < 0) throw new RemoteCommandError('reading the cluster\'s material', 0, 'a line of its listing does not parse');
      spaces.push(next);
      at = next;
    }
    const [type, mode, owner, group, size] = record.subarray(0, spaces[4]).toString('latin1').split(' ');
    const rawPath = record.subarray(spaces[4]! + 1);
    const path = utf8(rawPath);
    const target = utf8(fields[i + 1]!);
    if (!/^\d+$/.test(size!) || !/^[0-7]{1,4}$/.test(mode!)) throw new RemoteCommandError('reading the cluster\'s material', 0, 'a line of its listing does not parse');
    listed.push({ type: type!, mode: mode!.padStart(4, '0'), owner: owner!, group: group!, size: Number(size), path, shown: path === undefined ? escapeBytes(rawPath) : printable(path), target: type === 'l' ? target ?? '\ufffd' : undefined });
  }
  return listed;
}

function utf8(bytes: Buffer): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Bytes shown as text: printable ASCII as it is, the rest as \xNN. */
function escapeBytes(bytes: Buffer): string {
  return [...bytes].map((b) => (b >= 0x20 && b < 0x7f && b !== 0x5c ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/** A command's stdout as bytes (binary files among them), at most `limit` of them (more: the command is stopped and fails). */
async function collect(host: HostContext, purpose: string, request: ExecRequest, limit: number, tooMuch?: () => Error): Promise<Buffer> {
  const out = new BoundedOutput(limit);
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      done(out.push(chunk) ? undefined : tooMuch?.() ?? new RemoteCommandError(purpose, null, `it printed more than ${limit} bytes, the most st2prov reads of it; it was stopped`));
    },
  });
  // the transport hears the sink's first error; one after it (end() after a failure) is no news
  sink.on('error', () => undefined);
  try {
    await host.run(purpose, { ...request, stdout: sink });
  } finally {
    sink.end();
  }
  return out.bytes();
}

/** The st2 version installed on a blueprint (upstream part), empty when there is none. */
export async function installedSt2Version(host: HostContext): Promise<string> {
  const r = await host.exec({ argv: ['dpkg-query', '-W', '-f', '${Version}', 'st2'] });
  return r.code === 0 ? r.stdout.trim().replace(/^\d+:/, '').replace(/-[^-]*$/, '') : '';
}
