import { change, type Change } from '../core/change.js';
import type { ClusterHost, HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';

/**
 * An operation a host's step does on other hosts of the cluster (a blueprint taken out of
 * the load balancer on every controller): planned from those hosts' own facts, shown as
 * "on HOST: ..." in the plan, and acted on there.
 */
export function onHosts(title: string, targets: readonly ClusterHost[], make: (on: HostContext) => Operation): Operation {
  return {
    title,
    async plan(host) {
      const changes: Change[] = [];
      for (const target of targets) {
        const on = await host.on(target);
        const op = make(on);
        await on.prefetch(op.facts?.(on) ?? []);
        for (const c of await op.plan(on)) {
          changes.push(change({
            ...c,
            summary: `on ${target.name}: ${c.summary}`,
            apply: async () => {
              await c.apply();
              on.forget();
            },
          }));
        }
      }
      return changes;
    },
  };
}
