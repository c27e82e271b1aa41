import type { HostContext } from '../core/context.js';
import type { Listener } from '../ops/serviceCheck.js';
import { SENTINEL_PORT } from './sentinel.js';
import { serviceAddress } from './topology.js';

/**
 * Where each service of the cluster answers once it runs, as its host sees it: the address
 * st2prov configured (so a start also proves the bind took) and the service's port. After a
 * start, restart or reload, apply checks the service answers there.
 */
export function listenerOf(host: HostContext, service: string): Listener | undefined {
  const controller = () => serviceAddress(host.cluster, host.host);
  const local = (port: number) => ({ address: '127.0.0.1', port });
  switch (service) {
    case 'mongodb':
    case 'mongod':
      return { address: controller(), port: 27017 };
    case 'postgresql':
      return { address: controller(), port: 5432 };
    case 'rabbitmq-server':
      return { address: controller(), port: 5672 };
    case 'redis-server':
      return { address: controller(), port: 6379 };
    case 'redis-sentinel':
      return { address: controller(), port: SENTINEL_PORT };
    case 'zookeeper':
      return { address: controller(), port: 2181 };
    case 'nginx':
      return local(443);
    case 'st2auth':
      return local(9100);
    case 'st2api':
      return local(9101);
    case 'st2stream':
      return local(9102);
    case 'mistral-api':
      return local(8989);
    default:
      return undefined;
  }
}

/** A service spec with the place it must answer after a start: `ops.service(answering(h, {...}))`. */
export function answering<T extends { name: string }>(host: HostContext, spec: T): T & { listens?: Listener } {
  const listens = listenerOf(host, spec.name);
  return listens ? { ...spec, listens } : spec;
}
