import type { HostContext } from '../core/context.js';
import type { Check } from '../core/operation.js';
import type { Verdict } from '../core/results.js';
import type { Secret } from '../core/secret.js';
import { amqpLogin } from '../probes/amqp.js';
import { redisPing } from '../probes/redis.js';
import { tcpOpen } from '../probes/tcp.js';

export interface Dependencies {
  /** where the blueprints reach the controller */
  address: string;
  postgres: boolean;
  redis: boolean;
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
      return verdicts;
    },
  };
}
