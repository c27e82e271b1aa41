import type { HostContext } from '../engine/hostContext.js';
import { controllerAddress } from './topology.js';

/** Where clients reach the cluster: st2_public_url, else https on the controller's load balancer. */
export function loadBalancerUrl(host: HostContext): string {
  return String(host.vars.st2_public_url ?? `https://${controllerAddress(host.cluster)}`).replace(/\/+$/, '');
}

/** The coordination backend st2 and the HA rules rely on: Redis on the controller by default. */
export function coordinationUrl(host: HostContext): string {
  const backend = String(host.vars.coordination_backend ?? 'redis');
  if (backend === 'zookeeper') return String(host.vars.coordination_url);
  if (backend === 'file') return 'file:///var/lib/st2/coordination';
  return `redis://:${encodeURIComponent(host.secret('redis_password').reveal())}@${controllerAddress(host.cluster)}:6379`;
}

export function mistralDatabaseUrl(host: HostContext): string {
  return `postgresql://mistral:${encodeURIComponent(host.secret('mistral_db_password').reveal())}@${controllerAddress(host.cluster)}/mistral`;
}

export function rabbitmqUser(host: HostContext): string {
  return String(host.vars.rabbitmq_user ?? 'st2');
}

export function mistralTransportUrl(host: HostContext): string {
  return `rabbit://${encodeURIComponent(rabbitmqUser(host))}:${encodeURIComponent(host.secret('rabbitmq_password').reveal())}@${controllerAddress(host.cluster)}:5672/`;
}
