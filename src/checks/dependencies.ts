import type { HostContext } from '../core/context.js';
import type { Check } from '../core/operation.js';
import type { Verdict } from '../core/results.js';
import type { Secret } from '../core/secret.js';
import { amqpLogin } from '../probes/amqp.js';
import { mongoCommands } from '../probes/mongo.js';
import { redisCommands, redisPing } from '../probes/redis.js';
import { SENTINEL_PORT } from '../stackstorm/sentinel.js';
import { AMQP_PORT, MONGODB_PORT, ZOOKEEPER_PORT } from '../stackstorm/urls.js';
import { zookeeperMode } from '../probes/zookeeper.js';
import { tcpOpen } from '../probes/tcp.js';

export interface Dependencies {
  /** where the blueprints reach the controller */
  address: string;
  postgres: boolean;
  redis: boolean;
  /** ZooKeeper on the controller coordinates */
  zookeeper?: boolean;
}

/** A secret a check may use: only one st2prov has given the cluster, never a stand-in. */
function knownSecret(host: HostContext, name: string): Secret | undefined {
  return host.vault.missing([name]).length ? undefined : host.secret(name);
}

/** The controller's databases, broker and coordination, as this host reaches them (logging in where there is a login). */
export function dependenciesReached(d: Dependencies): Check {
  return {
    title: 'dependencies reached',
    async verify(host) {
      const verdicts: Verdict[] = [];
      const open = async (what: string, port: number) => verdicts.push({ check: `reaches ${what} at ${d.address}:${port}`, ok: await tcpOpen(host, d.address, port) });
      if (d.postgres) await open('PostgreSQL', 5432);
      await open('MongoDB', 27017);
      const user = host.settings.rabbitmq_user;
      const rabbit = knownSecret(host, 'rabbitmq_password');
      if (rabbit) {
        const login = await amqpLogin(host, d.address, 5672, user, rabbit.reveal());
        verdicts.push({ check: `logs in to RabbitMQ at ${d.address}:5672 as ${user}`, ok: login === 'ok', detail: login });
      } else verdicts.push({ check: `logs in to RabbitMQ at ${d.address}:5672`, ok: false, detail: 'rabbitmq_password is unknown: never applied?' });
      if (d.redis) {
        const check = `reaches Redis at ${d.address}:6379 with its password`;
        const redis = knownSecret(host, 'redis_password');
        try {
          const answer = redis ? await redisPing(host, d.address, 6379, redis.reveal()) : 'redis_password is unknown: never applied?';
          verdicts.push({ check, ok: answer === '+PONG', detail: answer });
        } catch (err) {
          verdicts.push({ check, ok: false, detail: (err as Error).message });
        }
      }
      if (d.zookeeper) {
        const mode = await zookeeperMode(host, d.address, ZOOKEEPER_PORT).catch((err: Error) => `unreachable (${err.message})`);
        verdicts.push({ check: `reaches ZooKeeper at ${d.address}:${ZOOKEEPER_PORT}, serving`, ok: ['standalone', 'leader', 'follower'].includes(mode), detail: mode });
      }
      return verdicts;
    },
  };
}

export interface TierDependencies {
  controllers: readonly { name: string; address: string }[];
  postgres: string | undefined;
  /** the master's name Sentinel knows, when Redis coordinates */
  sentinelMaster: string | undefined;
  /** ZooKeeper on the controllers coordinates */
  zookeeper?: boolean;
}

/**
 * The tier as a blueprint uses it: a MongoDB member that is primary, RabbitMQ nodes that let
 * st2 log in (one is enough: cluster_urls tries them in turn), the Redis master as the
 * Sentinels name it (logged in to, and a master indeed), PostgreSQL's primary.
 */
export function tierReached(d: TierDependencies): Check {
  return {
    title: 'controller tier reached',
    // each dependency at once: a controller that is down costs its connect bound once, not once per dependency
    verify: async (host) => (await Promise.all([
      d.postgres ? postgresPrimary(host, d.postgres) : undefined,
      mongoPrimary(host, d.controllers),
      rabbitLogin(host, d.controllers),
      d.sentinelMaster ? redisMaster(host, d.controllers, d.sentinelMaster) : undefined,
      d.zookeeper ? zookeeperQuorum(host, d.controllers) : undefined,
    ])).filter((v): v is Verdict => v !== undefined),
  };
}

type Controllers = TierDependencies['controllers'];

async function postgresPrimary(host: HostContext, address: string): Promise<Verdict> {
  return { check: `reaches PostgreSQL's primary at ${address}:5432`, ok: await tcpOpen(host, address, 5432) };
}

async function mongoPrimary(host: HostContext, controllers: Controllers): Promise<Verdict> {
  const states = await Promise.all(controllers.map(async (c) => {
    try {
      const { hello } = await mongoCommands(host, c.address, MONGODB_PORT, []);
      return `${c.address}=${hello.ismaster === true ? 'PRIMARY' : hello.secondary === true ? 'SECONDARY' : 'other'}`;
    } catch {
      return `${c.address}=unreachable`;
    }
  }));
  const primaries = states.filter((s) => s.endsWith('=PRIMARY'));
  return { check: 'reaches a MongoDB primary', ok: primaries.length === 1, detail: states.join(', ') };
}

async function rabbitLogin(host: HostContext, controllers: Controllers): Promise<Verdict> {
  const user = host.settings.rabbitmq_user;
  const rabbit = knownSecret(host, 'rabbitmq_password');
  const logins = rabbit ? await Promise.all(controllers.map(async (c) => `${c.address}=${await amqpLogin(host, c.address, AMQP_PORT, user, rabbit.reveal())}`)) : ['rabbitmq_password is unknown: never applied?'];
  return { check: `logs in to RabbitMQ as ${user}`, ok: logins.some((l) => l.endsWith('=ok')), detail: logins.join(', ') };
}

/** The master as the first Sentinel (in inventory order) that answers names it; every Sentinel asked at once. */
async function redisMaster(host: HostContext, controllers: Controllers, master: string): Promise<Verdict> {
  const check = 'reaches the Redis master through Sentinel, with its password';
  const redis = knownSecret(host, 'redis_password');
  const answers = await Promise.all(controllers.map((c) => redisCommands(host, c.address, SENTINEL_PORT, [['SENTINEL', 'get-master-addr-by-name', master]])
    .then(([addr]) => (Array.isArray(addr) ? addr.map(String) : undefined), (err: Error) => err)));
  const named = answers.findIndex((a) => Array.isArray(a));
  if (named < 0) {
    const errors = answers.map((a, i) => (a instanceof Error ? `${controllers[i]!.address}: ${a.message}` : undefined)).filter(Boolean);
    return { check, ok: false, detail: errors.at(-1) ?? 'no Sentinel answered' };
  }
  if (!redis) return { check, ok: false, detail: 'redis_password is unknown: never applied?' };
  const [ip, port] = answers[named] as [string, string];
  try {
    const [auth, pong, role] = await redisCommands(host, ip, Number(port), [['AUTH', redis.reveal()], ['PING'], ['ROLE']]);
    const ok = auth === 'OK' && pong === 'PONG' && Array.isArray(role) && role[0] === 'master';
    return { check, ok, detail: `Sentinel at ${controllers[named]!.address} names ${ip}:${port}; it answers ${String(pong)} as ${Array.isArray(role) ? String(role[0]) : JSON.stringify(role)}` };
  } catch (err) {
    return { check, ok: false, detail: `${ip}:${port}: ${(err as Error).message}` };
  }
}

async function zookeeperQuorum(host: HostContext, controllers: Controllers): Promise<Verdict> {
  const modes = await Promise.all(controllers.map(async (c) => `${c.address}=${await zookeeperMode(host, c.address, ZOOKEEPER_PORT).catch((err: Error) => `unreachable (${err.message})`)}`));
  const serving = modes.filter((m) => /=(leader|follower)$/.test(m)).length;
  return { check: 'reaches a ZooKeeper quorum', ok: serving >= Math.floor(controllers.length / 2) + 1, detail: modes.join(', ') };
}
