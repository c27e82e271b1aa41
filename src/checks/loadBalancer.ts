import type { ClusterHost } from '../core/context.js';
import type { Check } from '../core/operation.js';
import { isSecret, type Secret } from '../core/secret.js';
import { httpStatus } from '../probes/http.js';

/**
 * The load balancer (this host) reaches every blueprint's API over TLS, the blueprint's
 * certificate verified as nginx verifies it: signed by the cluster CA, for the blueprints' name.
 * `ca` is a stand-in Secret when the state folder has no CA yet (a cluster apply has not updated).
 */
export function loadBalancerReaches(blueprints: readonly ClusterHost[], ca: string | Secret, servername: string): Check {
  return {
    title: 'load balancer reaches the blueprints',
    verify: (host) => Promise.all(blueprints.map(async (b) => {
      const check = `load balancer reaches ${b.name} (https://${b.address}/api/), its certificate signed by the cluster CA`;
      if (isSecret(ca)) return { check, ok: false, detail: 'the state folder has no cluster CA yet: run st2prov apply' };
      try {
        const status = await httpStatus(host, b.address, 443, '/api/v1/', { ca, servername });
        const code = Number(status.split(' ')[1]);
        return { check, ok: code > 0 && code < 500, detail: status };
      } catch (err) {
        return { check, ok: false, detail: (err as Error).message };
      }
    })),
  };
}
