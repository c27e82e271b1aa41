import type { ClusterHost } from '../core/context.js';
import type { Check } from '../core/operation.js';
import { httpStatus } from '../probes/http.js';

/** The load balancer (this host) reaches every blueprint's API over TLS. */
export function loadBalancerReaches(blueprints: readonly ClusterHost[]): Check {
  return {
    title: 'load balancer reaches the blueprints',
    verify: (host) => Promise.all(blueprints.map(async (b) => {
      const check = `load balancer reaches ${b.name} (https://${b.address}/api/)`;
      try {
        const status = await httpStatus(host, b.address, 443, '/api/v1/', true);
        const code = Number(status.split(' ')[1]);
        return { check, ok: code > 0 && code < 500, detail: status };
      } catch (err) {
        return { check, ok: false, detail: (err as Error).message };
      }
    })),
  };
}
