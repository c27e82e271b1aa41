import { posix } from 'node:path';
import { HTPASSWD } from '../stackstorm/auth.js';
import { CLUSTER_CA, DATASTORE_KEY, STANLEY_KEYS, TIER_NAMES } from '../stackstorm/material.js';
import { secretsProblem } from '../state/secretStore.js';
import { hasUnprintable, notUtf8Text, printable, type EntryHeader } from './format.js';

/*
 * What a backup may hold, checked alike when `backup` reads the hosts and the state folder (so a
 * backup it writes is always one `restore` takes) and when `restore` reads a file (so a file it
 * did not write is refused before anything is written): the kinds of entries and where each
 * goes back, names, modes, owners, links, the tree they make, the state folder's files and
 * their shape, and what each kind may weigh.
 *
 * Entry names say where an entry goes back: `state/REL` into the state folder,
 * `mongodb/st2.archive.gz` the dump, `files/PATH` a file on every blueprint, `dirs/PATH` a
 * folder there, `links/PATH` a symbolic link there (its target in the header).
 */

/** st2's database ([database] db_name, StackStorm's default). */
export const ST2_DATABASE = 'st2';
export const DUMP_ENTRY = 'mongodb/st2.archive.gz';

/** Files of a blueprint kept in a backup; each is read through a link (what st2 reads). */
export const MATERIAL_FILES = [
  '/etc/st2/keys/datastore_key.json',
  HTPASSWD,
  '/home/stanley/.ssh/stanley_rsa',
  '/home/stanley/.ssh/stanley_rsa.pub',
  '/etc/st2/st2.conf',
];
/** Folders of a blueprint kept whole (pack configs, RBAC): their files, folders and symbolic links. */
export const MATERIAL_FOLDERS = ['/opt/stackstorm/configs', '/opt/stackstorm/rbac'];
export const MATERIAL_PATHS = [...MATERIAL_FILES, ...MATERIAL_FOLDERS];

/**
 * Kept for reference, not written back: apply makes it from the inventory (and the restored
 * secrets), and restore runs apply first, so writing the old bytes would only undo that.
 */
export const NOT_RESTORED = ['/etc/st2/st2.conf'];

/** What only the owner may read: pack configs hold credentials; the public key and RBAC roles do not. */
export function isSecretFile(path: string): boolean {
  return path !== '/home/stanley/.ssh/stanley_rsa.pub' && !path.startsWith('/opt/stackstorm/rbac/');
}

const MiB = 1024 * 1024;
/** What each kind may weigh: all but the dump is held in memory by backup and restore. */
export const LIMITS = {
  stateFile: MiB,
  materialFile: 16 * MiB,
  /** the state files and the blueprint's material together */
  held: 32 * MiB,
  entries: 10_000,
  /** bytes of a path or a link's target */
  path: 4096,
};

export type EntryKind = 'state' | 'dump' | 'file' | 'dir' | 'link';
const PREFIX: Record<Exclude<EntryKind, 'state' | 'dump'>, string> = { file: 'files', dir: 'dirs', link: 'links' };

export function entryKindOf(name: string): EntryKind | undefined {
  if (name === DUMP_ENTRY) return 'dump';
  const top = name.slice(0, name.indexOf('/'));
  return top === 'state' ? 'state' : top === 'files' ? 'file' : top === 'dirs' ? 'dir' : top === 'links' ? 'link' : undefined;
}

/** The entry name of a blueprint's path. */
export function hostEntryName(kind: 'file' | 'dir' | 'link', path: string): string {
  return `${PREFIX[kind]}${path}`;
}

/** The path on the blueprint of a files/, dirs/ or links/ entry. */
export function hostPath(name: string): string {
  return name.slice(name.indexOf('/'));
}

/*
 * The state folder's files a backup holds (what st2prov makes there), as material.ts names
 * them; a blueprint's certificate folder holds a digest of its names. owed-handlers.json
 * belongs to the hosts of the run that owes them, and backup.key is what authenticates
 * backups: neither is ever in one.
 */
const STATE_FOLDERS: [RegExp, readonly string[]][] = [
  [new RegExp(`^${DATASTORE_KEY.name}$`), DATASTORE_KEY.files],
  [new RegExp(`^${STANLEY_KEYS.name}$`), STANLEY_KEYS.files],
  [/^tls$/, ['st2.crt', 'st2.key']],
  [new RegExp(`^${CLUSTER_CA.name}$`), CLUSTER_CA.files],
  [/^blueprint-[A-Za-z0-9._-]{1,253}-[0-9a-f]{8}$/, ['blueprint.crt', 'blueprint.key']],
  [new RegExp(`^${TIER_NAMES.name}$`), TIER_NAMES.files],
];
export const SECRETS_FILE = 'secrets.json';
export const BACKUP_KEY_FILE = 'backup.key';
export const RUN_STATE = ['owed-handlers.json', BACKUP_KEY_FILE];

/** Whether a file of the state folder (its path inside it) is one a backup holds. */
export function isStateFile(rel: string): boolean {
  if (rel === SECRETS_FILE) return true;
  const [folder, file, ...deeper] = rel.split('/');
  return deeper.length === 0 && file !== undefined && STATE_FOLDERS.some(([name, files]) => name.test(folder!) && files.includes(file));
}

/** What is wrong with a state file's content, by its name: the shape st2prov reads it in. */
export function stateFileProblem(rel: string, data: Buffer): string | undefined {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(data);
  } catch {
    return 'is not text (UTF-8)';
  }
  const json = (): unknown => {
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  const file = rel.slice(rel.lastIndexOf('/') + 1);
  if (rel === SECRETS_FILE) {
    const problem = secretsProblem(json());
    return problem && `is not st2prov's secrets: ${problem}`;
  }
  if (file === 'datastore_key.json') {
    const key = json() as { hmacKey?: { hmacKeyString?: unknown }; aesKeyString?: unknown } | undefined;
    return typeof key?.hmacKey?.hmacKeyString === 'string' && typeof key.aesKeyString === 'string' ? undefined : 'is not a datastore key (JSON with hmacKey.hmacKeyString and aesKeyString)';
  }
  if (file === 'names.json') {
    const n = json() as { replicaSet?: unknown; sentinelMaster?: unknown; vrrpRouterId?: unknown } | undefined;
    const ok = typeof n?.replicaSet === 'string' && typeof n.sentinelMaster === 'string' && Number.isInteger(n.vrrpRouterId) && (n.vrrpRouterId as number) >= 1 && (n.vrrpRouterId as number) <= 255;
    return ok ? undefined : 'is not the tier\'s names (replicaSet, sentinelMaster, vrrpRouterId 1 to 255)';
  }
  if (file.endsWith('.pub')) return /^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+( [^\n]*)?\n?$/.test(text) ? undefined : 'is not an OpenSSH public key';
  if (file.endsWith('.crt')) return /^-----BEGIN CERTIFICATE-----\n/.test(text) ? undefined : 'is not a PEM certificate';
  return /^-----BEGIN [A-Z ]*PRIVATE KEY-----\n/.test(text) ? undefined : 'is not a PEM private key';
}

/** A path's trouble as a name: what could not be written back safely, or printed. */
export function pathProblem(path: string): string | undefined {
  if (Buffer.byteLength(path) > LIMITS.path) return `its path is longer than ${LIMITS.path} bytes`;
  if (hasUnprintable(path)) return 'its name holds control characters';
  if (notUtf8Text(path)) return 'its name is not UTF-8 text';
  if (!path.startsWith('/') || path.endsWith('/') || path.includes('//') || path.split('/').some((p) => p === '.' || p === '..') || posix.normalize(path) !== path) return 'its path is not a plain absolute path';
  return undefined;
}

/** Where a path of a blueprint may be in a backup: a material file, a material folder, or under one. */
function placeOf(path: string): 'file' | 'folder' | 'under' | undefined {
  if (MATERIAL_FILES.includes(path)) return 'file';
  if (MATERIAL_FOLDERS.includes(path)) return 'folder';
  return MATERIAL_FOLDERS.some((f) => path.startsWith(`${f}/`)) ? 'under' : undefined;
}

/**
 * Modes a backup holds: permission bits only, nothing writable by others, no setuid, and no
 * setgid or sticky bit on a file (a folder may keep setgid, as group-shared folders do).
 */
export function modeProblem(kind: 'file' | 'dir', mode: unknown): string | undefined {
  if (typeof mode !== 'string' || !/^[0-7]{4}$/.test(mode)) return `its mode ${typeof mode === 'string' ? `"${printable(mode.slice(0, 40))}"` : 'is missing or'} is not four octal digits`;
  const bits = parseInt(mode, 8);
  const allowed = kind === 'dir' ? 0o2775 : 0o0775;
  if (bits & ~allowed) return `its mode ${mode} is not one a backup holds (${kind === 'dir' ? 'a folder: permission bits and setgid' : 'a file: permission bits only'}, nothing writable by others)`;
  return undefined;
}

/** Owners and groups: a plain user or group name, or a number (an id without a name). */
export function ownerProblem(owner: unknown, what: 'owner' | 'group'): string | undefined {
  return typeof owner === 'string' && /^(?:[A-Za-z_][A-Za-z0-9_.-]{0,31}\$?|\d{1,10})$/.test(owner) ? undefined : `its ${what}${typeof owner === 'string' ? ` "${printable(owner.slice(0, 40))}"` : ''} is not a plain name (a user or group name, or a number)`;
}

/** A link's target: text without control characters, not empty, at most LIMITS.path bytes. */
export function targetProblem(target: unknown): string | undefined {
  if (typeof target !== 'string' || target === '') return 'it is a link without a target';
  if (Buffer.byteLength(target) > LIMITS.path) return `its link target is longer than ${LIMITS.path} bytes`;
  if (hasUnprintable(target) || notUtf8Text(target)) return 'its link target holds control characters or is not UTF-8 text';
  return undefined;
}

const FIELDS: Record<EntryKind, readonly string[]> = {
  state: ['name'],
  dump: ['name'],
  file: ['name', 'mode', 'owner', 'group'],
  dir: ['name', 'mode', 'owner', 'group'],
  link: ['name', 'owner', 'group', 'target'],
};

/** What is wrong with an entry's header, or undefined: its kind, name, place, mode, owner, target. */
export function headerProblem(header: unknown): string | undefined {
  if (typeof header !== 'object' || header === null || Array.isArray(header)) return 'an entry has no header';
  const h = header as Record<string, unknown>;
  if (typeof h.name !== 'string') return 'an entry has no name';
  const kind = entryKindOf(h.name);
  if (!kind) return 'it is of no kind a backup holds';
  const extra = Object.keys(h).filter((k) => !FIELDS[kind].includes(k));
  if (extra.length) return `its header has fields a backup's ${kind} entries do not (${extra.map((k) => printable(k.slice(0, 40))).join(', ')})`;
  if (kind === 'dump') return undefined;
  if (kind === 'state') {
    const rel = h.name.slice('state/'.length);
    if (pathProblem(`/${rel}`) || !isStateFile(rel)) return 'it is not a file st2prov keeps in its state folder';
    return undefined;
  }
  const path = hostPath(h.name);
  const bad = pathProblem(path);
  if (bad) return bad;
  const place = placeOf(path);
  if (!place) return 'it is not material st2prov backs up (datastore key, htpasswd, stanley\'s key pair, st2.conf, pack configs, RBAC)';
  if (kind === 'file' && place === 'folder') return 'it is a material folder, held as a file';
  if (kind === 'dir' && place === 'file') return 'it is a material file, held as a folder';
  if (kind === 'link' && place !== 'under') return 'it is a link where a backup holds only a file or a folder (links are kept inside the pack configs and RBAC folders)';
  if (kind !== 'link') {
    const mode = modeProblem(kind, h.mode);
    if (mode) return mode;
  } else {
    const target = targetProblem(h.target);
    if (target) return target;
  }
  return ownerProblem(h.owner, 'owner') ?? ownerProblem(h.group, 'group');
}

/** The most bytes an entry of this kind may have. */
export function sizeLimit(kind: EntryKind): number {
  return kind === 'dump' ? Number.MAX_SAFE_INTEGER : kind === 'state' ? LIMITS.stateFile : kind === 'file' ? LIMITS.materialFile : 0;
}

/**
 * What is wrong with the entries together: a name twice (a path held as two kinds too), an
 * entry under a folder the backup does not hold or under a link, a dump missing or twice.
 */
export function wholeProblems(names: readonly string[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  const kinds = new Map<string, EntryKind>();
  let dumps = 0;
  for (const name of names) {
    const kind = entryKindOf(name)!;
    const key = kind === 'state' || kind === 'dump' ? name : `host:${hostPath(name)}`;
    if (seen.has(key)) problems.push(`it holds ${kind === 'state' || kind === 'dump' ? `"${printable(name)}"` : `"${printable(hostPath(name))}"`} twice`);
    seen.add(key);
    if (kind === 'dump') dumps += 1;
    if (kind === 'file' || kind === 'dir' || kind === 'link') kinds.set(hostPath(name), kind);
  }
  for (const [path, kind] of kinds) {
    if (placeOf(path) !== 'under') continue;
    const parent = posix.dirname(path);
    const parentKind = kinds.get(parent);
    if (parentKind !== 'dir') problems.push(`it holds "${printable(path)}" (a ${kind}) under ${parentKind === 'link' ? 'a link' : parentKind === 'file' ? 'a file' : 'a folder it does not hold'}`);
  }
  if (dumps !== 1) problems.push(dumps ? 'it holds more than one MongoDB dump' : 'it holds no MongoDB dump');
  return problems;
}

/** A file of the material is written back as text: its bytes must be UTF-8. */
export function materialFileProblem(data: Buffer): string | undefined {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return undefined;
  } catch {
    return 'it is not text (UTF-8): st2prov restores text files only';
  }
}

export type { EntryHeader };
