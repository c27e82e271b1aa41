import { shellScript } from '../core/command.js';
import type { HostContext } from '../core/context.js';
import { RemoteCommandError } from '../core/errors.js';
import { mongoCommands, type MongoReply } from '../probes/mongo.js';
import { HTPASSWD } from '../stackstorm/auth.js';
import type { Entry } from './archive.js';

/*
 * What a backup takes from the hosts and puts back: st2's MongoDB database (dumped on a
 * controller, never crossing the network but inside the SSH connection), and the cluster's
 * material as one blueprint has it. Every blueprint holds the same material (`check` says when
 * they differ), so one is enough.
 */

/** st2's database ([database] db_name, StackStorm's default). */
export const ST2_DATABASE = 'st2';
export const DUMP_ENTRY = 'mongodb/st2.archive.gz';

/** Files and folders of a blueprint kept in a backup; folders whole (pack configs, RBAC). */
export const MATERIAL_PATHS = [
  '/etc/st2/keys/datastore_key.json',
  HTPASSWD,
  '/home/stanley/.ssh/stanley_rsa',
  '/home/stanley/.ssh/stanley_rsa.pub',
  '/etc/st2/st2.conf',
  '/opt/stackstorm/configs',
  '/opt/stackstorm/rbac',
];

/** Entries of a backup's files/ and dirs/ that are not material st2prov backs up: a restore writes nothing else on a host, as root. */
export function outsideMaterial(entries: readonly { name: string }[]): string[] {
  return entries.filter((e) => /^(files|dirs)\//.test(e.name)).map((e) => e.name.slice(e.name.indexOf('/')))
    .filter((path) => !MATERIAL_PATHS.some((m) => path === m || path.startsWith(`${m}/`)));
}

/**
 * Kept for reference, not written back: apply makes it from the inventory (and the restored
 * secrets), and restore runs apply first, so writing the old bytes would only undo that.
 */
export const NOT_RESTORED = ['/etc/st2/st2.conf'];

/** What only the owner may read: pack configs hold credentials; the public key and RBAC roles do not. */
export function isSecretFile(path: string): boolean {
  return path !== '/home/stanley/.ssh/stanley_rsa.pub' && !path.startsWith('/opt/stackstorm/rbac/');
}

// the dump goes to a private temp file first: a failed mongodump leaves no half dump behind
const DUMP = `set -e
umask 077
t=$(mktemp)
trap 'rm -f "$t"' EXIT
mongodump --quiet --host 127.0.0.1 --port 27017 --db "$1" --gzip --archive="$t"
base64 -w0 "$t"`;

const RESTORE = `set -e
umask 077
t=$(mktemp)
trap 'rm -f "$t"' EXIT
base64 -d > "$t"
mongorestore --quiet --host 127.0.0.1 --port 27017 --nsInclude "$1.*" --drop --gzip --archive="$t"`;

// one line per file or folder: type, path (base64), mode, owner, group, content (base64)
const MATERIAL = `for p; do
  [ -e "$p" ] || continue
  find "$p" \\( -type f -o -type d \\) -exec sh -c 'for f; do
    if [ -d "$f" ]; then t=d; c=; else t=f; c=$(base64 -w0 -- "$f"); fi
    printf "%s %s %s %s\\n" "$t" "$(printf %s "$f" | base64 -w0)" "$(stat -c "%a %U %G" -- "$f")" "$c"
  done' sh {} +
done
exit 0`;

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

/** st2's database, as mongodump's gzip archive. */
export async function dumpDatabase(host: HostContext): Promise<Buffer> {
  const r = await host.run(`mongodump of the ${ST2_DATABASE} database on ${host.name}`, { argv: shellScript(DUMP, [ST2_DATABASE]) });
  return Buffer.from(r.stdout.trim(), 'base64');
}

/** Replaces st2's database with a dump (mongorestore --drop); the dump goes on stdin. */
export async function restoreDatabase(host: HostContext, dump: Buffer): Promise<void> {
  await host.run(`mongorestore --drop of the ${ST2_DATABASE} database on ${host.name}`, { argv: shellScript(RESTORE, [ST2_DATABASE]), stdin: `${dump.toString('base64')}\n` });
}

/** The blueprint's material as backup entries: `files/PATH` with mode and owner, `dirs/PATH` for folders. */
export async function readMaterial(host: HostContext): Promise<Entry[]> {
  const r = await host.exec({ argv: shellScript(MATERIAL, MATERIAL_PATHS) });
  if (r.code !== 0) throw new RemoteCommandError(`reading the cluster's material on ${host.name}`, r.code, r.stderr);
  return parseMaterial(r.stdout);
}

export function parseMaterial(stdout: string): Entry[] {
  const entries: Entry[] = [];
  for (const line of stdout.split('\n')) {
    if (!line) continue;
    const [type, path64, mode, owner, group, content = ''] = line.split(' ');
    if (!(type === 'f' || type === 'd') || !path64 || !mode || !owner || !group) throw new RemoteCommandError('reading the cluster\'s material', 0, 'a line of the listing does not parse');
    const path = Buffer.from(path64, 'base64').toString('utf8');
    entries.push({ name: `${type === 'd' ? 'dirs' : 'files'}${path}`, data: type === 'd' ? Buffer.alloc(0) : Buffer.from(content, 'base64'), mode: mode.padStart(4, '0'), owner, group });
  }
  return entries;
}

/** The st2 version installed on a blueprint (upstream part), empty when there is none. */
export async function installedSt2Version(host: HostContext): Promise<string> {
  const r = await host.exec({ argv: ['dpkg-query', '-W', '-f', '${Version}', 'st2'] });
  return r.code === 0 ? r.stdout.trim().replace(/^\d+:/, '').replace(/-[^-]*$/, '') : '';
}
