import { change } from '../core/change.js';
import { MissingInput, RemoteCommandError } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import { remember, type Secret } from '../core/secret.js';
import { redisArgument } from '../edit/confKey.js';
import { editRedisConf, redactRedisSecrets, type RedisEdit } from '../edit/redisConf.js';
import { shellScript } from '../core/command.js';
import { READ_FILE, fileState, fileText, parseFileState } from '../facts/files.js';
import { osFacts } from '../facts/os.js';
import { redisCommands, type RedisReply } from '../probes/redis.js';
import { editFile, fileChanges } from './file.js';
import { writeFileAtomically } from './fileWrite.js';
import { serviceCommand, verifyListening, verifyRunning, type Listener } from './serviceCheck.js';

/** Masks a secret as a Redis config file holds it (quoted and escaped when it must be). */
function rememberEncoded(secrets: readonly Secret[]): void {
  for (const s of secrets) {
    const text = redisArgument(s.reveal());
    remember(text);
    remember(text.replace(/^"(.*)"$/, '$1'));
  }
}

/** Directives of redis.conf by what they mean (see edit/redisConf.ts), secrets masked in every form. */
export function redisConf(path: string, edit: RedisEdit, options: { secrets: readonly Secret[]; notify?: string[] }): Operation {
  rememberEncoded(options.secrets);
  return editFile('conf', path, `${edit.set.map((d) => d.id.join(' ')).join(', ')} in ${path}`, (text) => editRedisConf(text, edit), { redact: redactRedisSecrets, ...(options.notify ? { notify: options.notify } : {}) });
}

/**
 * sentinel.conf, which a running Sentinel rewrites whenever its view changes (and when it
 * stops): it is stopped first, its file edited as it then stands, and started again, checked
 * to stay up and to answer where it listens.
 */
export function sentinelConf(path: string, edit: RedisEdit, options: { service: string; listens: Listener; secrets: readonly Secret[] }): Operation {
  rememberEncoded(options.secrets);
  return {
    title: `Sentinel's ${path}`,
    facts: () => [fileState(path), osFacts()],
    async plan(host) {
      const found = await host.fact(fileState(path));
      if (!found.exists) throw new MissingInput(path);
      const state = await fileText(host, path, found, `editing Sentinel's ${path}`);
      return fileChanges(host, { path, content: editRedisConf(state.content, edit), redact: redactRedisSecrets }, state, 'conf', `${edit.set.map((d) => d.id.join(' ')).join(', ')} in ${path}`).map((c) => change({
        kind: c.kind,
        summary: `${c.summary} (Sentinel stopped, then started)`,
        ...(c.diff !== undefined ? { diff: c.diff } : {}),
        apply: async () => {
          const { init } = await host.fact(osFacts());
          await serviceCommand(host, init, options.service, 'stop');
          // as the stopped Sentinel left it (not a fact: those may be of before the stop)
          const now = parseFileState((await host.run(`reading ${path}`, { argv: shellScript(READ_FILE, [path]) })).stdout, path);
          if (!now.exists) throw new MissingInput(path);
          await writeFileAtomically(host, path, editRedisConf((await fileText(host, path, now, `editing Sentinel's ${path}`)).content, edit));
          await serviceCommand(host, init, options.service, 'start');
          await verifyRunning(host, init, [options.service]);
          await verifyListening(host, init, [{ name: options.service, listens: options.listens }]);
        },
      }));
    },
  };
}

export interface ReplicaSpec {
  /** the master's name Sentinel knows */
  master: string;
  /** where this host's Redis and Sentinel listen */
  address: string;
  redisPort: number;
  sentinelPort: number;
  password: Secret;
}

function failed(reply: RedisReply | undefined): string | undefined {
  return reply && typeof reply === 'object' && !Array.isArray(reply) ? reply.error : undefined;
}

/**
 * This host's Redis replicates the master Sentinel watches: a Redis that runs as a master
 * of its own while Sentinel names another (a fresh controller, or one that came back after a
 * failover before Sentinel turned it) is made its replica, and the change kept in redis.conf.
 */
export function redisFollowsSentinel(spec: ReplicaSpec): Operation {
  return {
    title: `Redis at ${spec.address} replicates Sentinel's master ${spec.master}`,
    async plan(host) {
      let master: RedisReply | undefined;
      let role: RedisReply | undefined;
      try {
        [master] = await redisCommands(host, spec.address, spec.sentinelPort, [['SENTINEL', 'get-master-addr-by-name', spec.master]]);
      } catch {
        throw new MissingInput(`a Sentinel answering on ${spec.address}:${spec.sentinelPort}`);
      }
      try {
        [, role] = await redisCommands(host, spec.address, spec.redisPort, [['AUTH', spec.password.reveal()], ['ROLE']]);
      } catch {
        throw new MissingInput(`a Redis answering on ${spec.address}:${spec.redisPort}`);
      }
      if (!Array.isArray(master) || master.length < 2) throw new MissingInput(`Sentinel's master ${spec.master}`);
      const why = failed(role);
      if (why) throw new RemoteCommandError(`asking Redis at ${spec.address} its role`, null, why);
      const [ip, port] = master.map(String) as [string, string];
      if (!Array.isArray(role) || role[0] !== 'master' || ip === spec.address) return [];
      return [change({
        kind: 'redis',
        summary: `Redis at ${spec.address}: replica of ${ip}:${port}, the master Sentinel watches (it ran as a master of its own)`,
        apply: async () => {
          const replies = await redisCommands(host, spec.address, spec.redisPort, [['AUTH', spec.password.reveal()], ['REPLICAOF', ip, port], ['CONFIG', 'REWRITE']]);
          const error = replies.map(failed).find(Boolean);
          if (error) throw new RemoteCommandError(`making Redis at ${spec.address} a replica of ${ip}:${port}`, null, error);
        },
      })];
    },
  };
}

