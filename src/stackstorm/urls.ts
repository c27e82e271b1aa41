import type { HostContext } from '../core/context.js';
import { controllerAddress } from './topology.js';

/*
 * The connection URLs every blueprint writes, pointing at the controller. Credentials are
 * percent-encoded: a password may hold any character a URL reserves.
 */

/** The coordination backend st2 and the HA rules rely on: Redis on the controller by default. */
export function coordinationUrl(host: HostContext): string {
  const s = host.cluster.settings;
  if (s.coordination_backend === 'zookeeper') return s.coordination_url!;
  if (s.coordination_backend === 'file') return 'file:///var/lib/st2/coordination';
  return `redis://:${encodeURIComponent(host.secret('redis_password').reveal())}@${controllerAddress(host.cluster)}:6379`;
}

export function mistralDatabaseUrl(host: HostContext): string {
  return `postgresql://mistral:${encodeURIComponent(host.secret('mistral_db_password').reveal())}@${controllerAddress(host.cluster)}/mistral`;
}

/** st2's [messaging] url and Mistral's transport_url: the same broker and user. */
export function amqpUrl(host: HostContext, scheme: 'amqp' | 'rabbit'): string {
  return `${scheme}://${encodeURIComponent(host.cluster.settings.rabbitmq_user)}:${encodeURIComponent(host.secret('rabbitmq_password').reveal())}@${controllerAddress(host.cluster)}:5672/`;
}
