import type { HostContext } from '../core/context.js';
import { tierName } from './material.js';
import { REDIS_PORT, SENTINEL_PORT } from './sentinel.js';
import { controllerAddress, controllers, isTier, postgresAddress } from './topology.js';

/*
 * The connection URLs every blueprint writes, pointing at the controller (in the tier: at
 * every controller, or at the service's current primary). Credentials are percent-encoded:
 * a password may hold any character a URL reserves.
 */

export const ZOOKEEPER_PORT = 2181;
export const MONGODB_PORT = 27017;
export const AMQP_PORT = 5672;

const addresses = (host: HostContext) => controllers(host.cluster).map((c) => c.address);

/**
 * The coordination backend st2 and the HA rules rely on: Redis on the controller by default.
 * In the tier, tooz asks the Sentinels (the first, then sentinel_fallback) for the master and
 * logs in to it with Redis' password; ZooKeeper is every member of the ensemble.
 */
export function coordinationUrl(host: HostContext): string {
  const s = host.cluster.settings;
  if (s.coordination_backend === 'zookeeper') {
    const members = isTier(host.cluster) ? addresses(host) : [controllerAddress(host.cluster)];
    return s.coordination_url ?? `zookeeper://${members.map((a) => `${a}:${ZOOKEEPER_PORT}`).join(',')}`;
  }
  if (s.coordination_backend === 'file') return 'file:///var/lib/st2/coordination';
  const password = encodeURIComponent(host.secret('redis_password').reveal());
  if (!isTier(host.cluster)) return `redis://:${password}@${controllerAddress(host.cluster)}:${REDIS_PORT}`;
  const [first, ...others] = addresses(host);
  const master = encodeURIComponent(tierName(host, 'sentinelMaster'));
  return `redis://:${password}@${first}:${SENTINEL_PORT}?sentinel=${master}${others.map((a) => `&sentinel_fallback=${a}:${SENTINEL_PORT}`).join('')}`;
}

export function mistralDatabaseUrl(host: HostContext): string {
  return `postgresql://mistral:${encodeURIComponent(host.secret('mistral_db_password').reveal())}@${postgresAddress(host.cluster)}/mistral`;
}

/** st2's [messaging] url and Mistral's transport_url: the same broker and user; in the tier, every node (oslo.messaging's form). */
export function amqpUrl(host: HostContext, scheme: 'amqp' | 'rabbit'): string {
  const credentials = `${encodeURIComponent(host.cluster.settings.rabbitmq_user)}:${encodeURIComponent(host.secret('rabbitmq_password').reveal())}`;
  if (!isTier(host.cluster) || scheme === 'amqp') return `${scheme}://${credentials}@${isTier(host.cluster) ? addresses(host)[0] : controllerAddress(host.cluster)}:${AMQP_PORT}/`;
  return `rabbit://${addresses(host).map((a) => `${credentials}@${a}:${AMQP_PORT}`).join(',')}/`;
}

/** st2's [messaging] cluster_urls in the tier: one URL per node, tried in turn (kombu's failover). */
export function amqpClusterUrls(host: HostContext): string[] | undefined {
  if (!isTier(host.cluster)) return undefined;
  const credentials = `${encodeURIComponent(host.cluster.settings.rabbitmq_user)}:${encodeURIComponent(host.secret('rabbitmq_password').reveal())}`;
  return addresses(host).map((a) => `amqp://${credentials}@${a}:${AMQP_PORT}/`);
}

/** st2's [database] host: the controller, or in the tier a replica set URI of every member. */
export function databaseHost(host: HostContext): string {
  if (!isTier(host.cluster)) return controllerAddress(host.cluster);
  return `mongodb://${addresses(host).map((a) => `${a}:${MONGODB_PORT}`).join(',')}/?replicaSet=${encodeURIComponent(tierName(host, 'replicaSet'))}`;
}
