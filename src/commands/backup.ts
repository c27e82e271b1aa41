import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { finished } from 'node:stream/promises';
import { refuseExisting, writeBackupFile, type Entry, type Manifest } from '../backup/archive.js';
import { stateKey, stateKeyOrNew } from '../backup/backupKey.js';
import { MaterialRefused, dumpDatabase, installedSt2Version, isMongoPrimary, readMaterial } from '../backup/cluster.js';
import { DUMP_ENTRY, LIMITS, RUN_STATE, isStateFile, stateFileProblem } from '../backup/contents.js';
import { printable, type EntryHeader } from '../backup/format.js';
import type { ClusterHost, HostContext } from '../core/context.js';
import { RemoteCommandError, UnreachableError, UsageError } from '../core/errors.js';
import { mask } from '../core/secret.js';
import { EngineHost } from '../engine/engineHost.js';
import { Sessions } from '../engine/sessions.js';
import { givenSecret, selectRun } from '../inventory/selection.js';
import { st2provVersion } from '../paths.js';
import { connectionFactory, type ConnectOptions } from '../ssh/hostConnections.js';
import { SecretStore } from '../state/secretStore.js';
import { StateFolder } from '../state/stateFolder.js';
import { blueprints, controllers } from '../stackstorm/topology.js';

export interface BackupOptions extends ConnectOptions {
  inventory: string;
  extraVars: string[];
  /** the backup file; default st2prov-backup-<inventory>-<time>.st2backup in the current folder */
  output?: string;
  lockWaitSeconds: number;
}

/**
 * `st2prov backup`: st2's MongoDB database (dumped on the primary controller, or the first that
 * answers), the cluster's material as one blueprint holds it (datastore key, htpasswd, stanley's
 * key pair, st2.conf, pack configs and RBAC files with their links) and the state folder's
 * secrets, in one file made 0600 and never replacing another, authenticated with the cluster's
 * backup key (made in the state folder by the first backup). The dump streams from mongodump into
 * the file: memory stays flat whatever its size. What the file holds is checked as restore checks
 * it, so st2prov never writes a backup it would refuse. Nothing of what it holds is printed.
 * Read-only on the hosts; it takes their lock shared, so it does not read half an apply.
 */
export async function backupCommand(options: BackupOptions, io = { out: process.stdout, err: process.stderr }): Promise<number> {
  const selection = selectRun({ inventory: options.inventory, extraVars: options.extraVars });
  for (const warning of selection.settled.warnings) io.err.write(`st2prov: warning: ${warning}\n`);
  const output = resolve(options.output ?? defaultName(options.inventory));
  if (existsSync(output)) throw refuseExisting(output);
  const folder = new StateFolder(selection.inventory.stateDir, true);
  const { state, leftOut } = stateEntries(folder);
  // a key that is there but not one stops the backup before any host is contacted
  stateKey(folder);
  const cluster = selection.cluster;
  const [ctls, bps] = [controllers(cluster), blueprints(cluster)];
  if (!ctls.length || !bps.length) throw new UsageError(`${options.inventory} has ${ctls.length ? 'no blueprint' : 'no controller'}`, 'a backup takes MongoDB from a controller and the material from a blueprint');

  const vault = new SecretStore(new StateFolder(selection.inventory.stateDir, false), (name) => givenSecret(selection, name));
  const connect = connectionFactory({ ...options, record: false }, selection.hosts);
  const sessions = new Sessions({ forks: 25, connect, lock: 'shared', lockWaitSeconds: options.lockWaitSeconds, onLockWait: (h) => io.err.write(`${h}: waiting for another st2prov run on it\n`) });
  const contexts = new Map<string, Promise<HostContext>>();
  const contextOf = (host: ClusterHost): Promise<HostContext> => {
    let ctx = contexts.get(host.name);
    if (!ctx) contexts.set(host.name, (ctx = (async () => new EngineHost(host, await sessions.connection(host), vault, cluster, contextOf))()));
    return ctx;
  };
  const unreachable: string[] = [];
  /** The first of these hosts that answers and `fits`; the others' reasons kept. */
  const firstOf = async (hosts: readonly ClusterHost[], fits: (h: HostContext) => Promise<boolean>): Promise<HostContext | undefined> => {
    let reached: HostContext | undefined;
    for (const host of hosts) {
      try {
        const ctx = await contextOf(host);
        reached ??= ctx;
        if (await fits(ctx)) return ctx;
      } catch (err) {
        if (!(err instanceof UnreachableError)) throw err;
        unreachable.push(`${host.name}: ${err.message}`);
      }
    }
    return reached;
  };
  sessions.warm([...ctls, ...bps.slice(0, 1)]);
  try {
    // the replica set's primary; with none (or one controller), the first that answers
    const controller = await firstOf(ctls, isMongoPrimary);
    if (!controller) return fail(io, 4, `no controller could be reached for the MongoDB dump:\n  ${unreachable.join('\n  ')}`);
    const blueprint = await firstOf(bps, async (h) => (await installedSt2Version(h)) !== '');
    if (!blueprint) return fail(io, 4, `no blueprint could be reached for the cluster's material:\n  ${unreachable.join('\n  ')}`);
    const st2Version = await installedSt2Version(blueprint);
    if (!st2Version) return fail(io, 2, `st2 is not installed on any blueprint that answered (${blueprint.name} the first): deploy the cluster first (st2prov apply)`);
    io.err.write(`${blueprint.name}: the cluster's material\n`);
    const material = await readMaterial(blueprint, LIMITS.held - state.reduce((n, e) => n + e.data.length, 0));
    const key = stateKeyOrNew(folder);
    const manifest: Manifest = {
      st2provVersion: st2provVersion(),
      st2Version,
      hosts: selection.settled.hosts.map((h) => ({ name: h.name, role: h.role ?? null })),
      createdAt: new Date().toISOString(),
      mongodbFrom: controller.name,
      materialFrom: blueprint.name,
      keyId: key.id,
    };
    io.err.write(`${controller.name}: mongodump of st2's database, streamed into ${output}\n`);
    let dumpSize = 0;
    const size = await writeBackupFile(output, key, manifest, async (w) => {
      for (const e of [...state, ...material]) await w.entry(headerOf(e), e.data);
      const sink = w.entryStream({ name: DUMP_ENTRY }, (n) => (dumpSize = n));
      try {
        await dumpDatabase(controller, sink);
      } catch (err) {
        sink.destroy();
        throw err;
      }
      sink.end();
      await finished(sink);
    });
    const count = (prefix: string) => material.filter((e) => e.name.startsWith(prefix));
    const files = count('files/');
    io.out.write(`backup written to ${output} (${size} bytes, mode 0600; it holds the cluster's secrets)\n`
      + `  st2 ${st2Version}, hosts ${manifest.hosts.map((h) => h.name).join(', ')}, ${manifest.createdAt}\n`
      + `  MongoDB database st2 from ${controller.name}: ${dumpSize} bytes\n`
      + `  ${files.length} files, ${count('dirs/').length} folders and ${count('links/').length} links from ${blueprint.name}: ${files.map((e) => printable(e.name.slice('files'.length))).join(', ')}\n`
      + `  ${state.length} files of the state folder ${selection.inventory.stateDir}\n`
      + (leftOut.length ? `  left out of the state folder's files (st2prov did not make them): ${leftOut.map(printable).join(', ')}\n` : '')
      + `  authenticated with the backup key ${key.id} (${key.from}${key.made ? ', made now: this is the cluster\'s first backup' : ''}): keep a copy of that file apart from the backups; a restore on a machine without this state folder needs it (restore --backup-key FILE)\n`);
    return 0;
  } catch (err) {
    if (err instanceof MaterialRefused) return fail(io, 2, err.message);
    if (err instanceof RemoteCommandError) return fail(io, 2, err.message);
    if (err instanceof UnreachableError) return fail(io, 4, `${err.host}: ${err.message}`);
    throw err;
  } finally {
    await sessions.closeAll();
  }
}

/**
 * The state folder's files a backup holds, checked as restore checks them (a secrets.json of
 * the wrong shape stops the backup); what st2prov did not make there is left out, by name.
 */
function stateEntries(folder: StateFolder): { state: Entry[]; leftOut: string[] } {
  const state: Entry[] = [];
  const leftOut: string[] = [];
  for (const rel of folder.files().filter((f) => !RUN_STATE.includes(f))) {
    if (!isStateFile(rel)) {
      leftOut.push(rel);
      continue;
    }
    const data = Buffer.from(folder.read(rel) ?? '');
    const problem = data.length > LIMITS.stateFile ? `is larger than st2prov makes it (${LIMITS.stateFile} bytes)` : stateFileProblem(rel, data);
    if (problem) throw new UsageError(`the state folder's ${rel} ${problem}`, `put back a good copy of ${folder.dir}/${rel} (from an earlier backup); nothing was written`);
    state.push({ name: `state/${rel}`, data });
  }
  return { state, leftOut };
}

function headerOf(e: Entry): EntryHeader {
  const { data: _data, ...header } = e;
  return header;
}

function fail(io: { err: NodeJS.WritableStream }, code: number, message: string): number {
  io.err.write(`st2prov: backup failed, nothing written: ${mask(message)}\n`);
  return code;
}

function defaultName(inventory: string): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  return `st2prov-backup-${basename(inventory).replace(/\.[^.]*$/, '')}-${stamp}.st2backup`;
}
