import type { Play } from '../src/core/operation.js';
import { componentsAnswer } from '../src/checks/components.js';
import { consistencyCheck } from '../src/checks/consistency.js';
import { dependenciesReached } from '../src/checks/dependencies.js';
import { haRulesCheck } from '../src/checks/haRules.js';
import { loadBalancerReaches } from '../src/checks/loadBalancer.js';
import { blueprints, controllerAddress, controllers } from '../src/stackstorm/topology.js';
import { st2Features } from '../src/stackstorm/versions.js';

/**
 * `st2prov check`: the health of a deployed cluster, seen from its own hosts. Read-only:
 * every step is a check. Each blueprint's components answer and it reaches the controller's
 * databases and broker; the load balancer reaches every blueprint; the HA rules hold across
 * the blueprints' own configs, and the blueprints agree on what must be the same everywhere.
 */
export const plays: Play[] = [
  {
    name: 'controller',
    hosts: 'controller',
    steps: [
      { name: 'the load balancer reaches every blueprint', check: (h) => loadBalancerReaches(blueprints(h.cluster)) },
    ],
  },
  {
    name: 'blueprint',
    hosts: 'blueprint',
    steps: [
      { name: 'st2 components answer', check: (h) => componentsAnswer({ mistral: st2Features(h.settings.st2_version).mistral }) },
      { name: 'the controller’s services are reached', check: (h) => controllers(h.cluster).length > 0 && dependenciesReached({
        address: controllerAddress(h.cluster),
        postgres: st2Features(h.settings.st2_version).mistral,
        redis: h.settings.coordination_backend === 'redis',
      }) },
    ],
    cluster: [haRulesCheck, consistencyCheck],
  },
];
