import type { HostContext } from '../src/core/context.js';
import { PlaybookError } from '../src/core/errors.js';
import type { Operation, Play } from '../src/core/operation.js';
import * as ops from '../src/ops/index.js';
import { answering } from '../src/stackstorm/listeners.js';
import { blueprintDrain, componentsButSingletons, st2Installed } from '../src/stackstorm/rolling.js';
import { validateCluster } from '../src/stackstorm/topology.js';
import { st2Features } from '../src/stackstorm/versions.js';

/**
 * `st2prov restart`: st2 restarted on every blueprint, one at a time (--serial N for more),
 * each drained first — out of the load balancer on every controller, its requests in flight
 * finished, its singletons handed to another blueprint — and put back once its services
 * answer again. The singletons restart on their way back.
 */
export function restarted(h: HostContext): Operation {
  const services = [...componentsButSingletons(h), ...(st2Features(h.settings.st2_version).mistral ? ['mistral-api', 'mistral-server'] : [])];
  const restart = ops.services(services.map((name) => answering(h, { name, state: 'restarted' as const })));
  return {
    title: 'st2 restarted',
    facts: (host) => [st2Installed(), ...(restart.facts?.(host) ?? [])],
    async plan(host) {
      if (!(await host.fact(st2Installed()))) throw new PlaybookError(`st2 is not installed on ${host.name}`, 'deploy it first: st2prov apply');
      return restart.plan(host);
    },
  };
}

export const restartPlay: Play = {
  name: 'restart',
  hosts: 'blueprint',
  validate: (cluster) => validateCluster(cluster, { needsController: true }),
  serving: () => st2Installed(),
  drain: blueprintDrain,
  steps: [
    { name: 'st2 restarted gracefully in its turn', rolling: true, tags: ['restart'], run: restarted },
  ],
};

export const plays: Play[] = [restartPlay];
