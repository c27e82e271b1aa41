import type { Backup, DumpRef } from '../src/backup/archive.js';
import { NOT_RESTORED, isMongoPrimary, isSecretFile, restoreDatabase } from '../src/backup/cluster.js';
import { change } from '../src/core/change.js';
import type { HostContext } from '../src/core/context.js';
import { MissingInput, RemoteCommandError } from '../src/core/errors.js';
import type { Operation, Play } from '../src/core/operation.js';
import { Secret } from '../src/core/secret.js';
import * as ops from '../src/ops/index.js';
import { blueprintDrain, st2Installed } from '../src/stackstorm/rolling.js';
import { controllers } from '../src/stackstorm/topology.js';
import { restarted } from './restart.js';

/**
 * `st2prov restore`: what a backup holds put back, after the site playbook has converged the
 * cluster with the backup's secrets (the command restores the state folder first). On the
 * controller whose MongoDB is the primary (the only one, with one controller), st2's database
 * is replaced by the dump (mongorestore --drop). On every blueprint, once the controllers are
 * done: the backup's files (datastore key, htpasswd, stanley's key pair, pack configs, RBAC)
 * and the links among them, then st2 restarted in turns, drained as `st2prov restart` does, so it
 * reads what was restored. The dump is read from the backup file when it is sent, never held.
 */
export function restorePlays(backup: Backup): Play[] {
  const dump = backup.dump;
  const taken = `${backup.manifest.createdAt} from ${backup.manifest.mongodbFrom}`;
  return [
    {
      name: 'restore: MongoDB',
      hosts: 'controller',
      steps: [
        { name: 'st2’s database replaced by the backup’s dump (mongorestore --drop, on the primary)', tags: ['restore', 'mongodb'], run: () => databaseRestored(dump, taken) },
      ],
    },
    {
      name: 'restore: blueprint',
      hosts: 'blueprint',
      needs: 'controller',
      serving: () => st2Installed(),
      drain: blueprintDrain,
      steps: [
        { name: 'files from the backup: datastore key, htpasswd, stanley’s key pair, pack configs, RBAC', tags: ['restore'], run: () => restoredFiles(backup) },
        { name: 'st2 restarted in its turn, reading the restored database', rolling: true, tags: ['restore'], run: (h) => restartedWhenInstalled(h) },
      ],
    },
  ];
}

/** The dump restored on the controller that is MongoDB's primary; the others do nothing. */
function databaseRestored(dump: DumpRef, taken: string): Operation {
  return {
    title: 'MongoDB restored',
    async plan(host) {
      const ctls = controllers(host.cluster);
      let primary: string | undefined;
      let answered = false;
      for (const c of ctls) {
        const ctx = c.name === host.name ? host : await host.on(c).catch(() => undefined);
        if (!ctx) continue;
        if (await isMongoPrimary(ctx)) {
          primary = c.name;
          break;
        }
        answered ||= await answers(ctx);
      }
      if (!primary) {
        if (!answered) throw new MissingInput('MongoDB and its tools on the controllers (installed and started by the controller play)');
        if (ctls.length === 1) throw new RemoteCommandError('restoring the database', null, `MongoDB on ${host.name} does not answer on 127.0.0.1:27017: start it (st2prov apply), then restore again`);
        throw new RemoteCommandError('finding the MongoDB primary', null, `no controller's MongoDB is the primary (${ctls.map((c) => c.name).join(', ')}): restore once the replica set has one (st2prov check shows it)`);
      }
      if (primary !== host.name) return [];
      return [change({
        kind: 'mongodb',
        summary: `st2's database replaced by the backup's dump (${dump.size} bytes, taken ${taken}): mongorestore --drop`,
        apply: () => restoreDatabase(host, dump),
      })];
    },
  };
}

/** Whether MongoDB's tools are installed there (the controller play has run). */
async function answers(host: HostContext): Promise<boolean> {
  const r = await host.exec({ argv: ['sh', '-c', 'command -v mongorestore >/dev/null'] });
  return r.code === 0;
}

/** Each folder, link and file of the backup with its mode and owner; secrets as secrets (a diff says only that they changed). */
function restoredFiles(backup: Backup): Operation[] {
  // a folder before what it holds
  const dirs = backup.entries.filter((e) => e.name.startsWith('dirs/')).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const links = backup.entries.filter((e) => e.name.startsWith('links/'));
  const files = backup.entries.filter((e) => e.name.startsWith('files/') && !NOT_RESTORED.includes(e.name.slice('files'.length)));
  const owner = (e: { owner?: string; group?: string }) => (e.owner && e.group ? `${e.owner}:${e.group}` : undefined);
  return [
    ...dirs.map((d) => ops.directory(d.name.slice('dirs'.length), { ...(d.mode ? { mode: d.mode } : {}), ...(owner(d) ? { owner: owner(d)! } : {}) })),
    ...links.map((l) => ops.link(l.name.slice('links'.length), l.target!, owner(l) ? { owner: owner(l)! } : {})),
    ...files.map((f) => {
      const path = f.name.slice('files'.length);
      const text = f.data.toString('utf8');
      return ops.file({ path, content: isSecretFile(path) ? new Secret(text) : text, ...(f.mode ? { mode: f.mode } : {}), ...(owner(f) ? { owner: owner(f)! } : {}) });
    }),
  ];
}

/** `st2prov restart`'s operation; in a dry run on fresh hosts, pending until the blueprint play has installed st2. */
function restartedWhenInstalled(h: HostContext): Operation {
  const restart = restarted(h);
  return {
    title: restart.title,
    facts: (host) => [st2Installed(), ...(restart.facts?.(host) ?? [])],
    async plan(host) {
      if (!(await host.fact(st2Installed()))) throw new MissingInput('st2 installed (by the blueprint play)');
      return restart.plan(host);
    },
  };
}
