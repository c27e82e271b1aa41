import type { HostContext } from '../src/core/context.js';
import type { Play } from '../src/core/operation.js';
import { componentsAnswer } from '../src/checks/components.js';
import { consistencyCheck } from '../src/checks/consistency.js';
import { dependenciesReached, tierReached } from '../src/checks/dependencies.js';
import { haRulesCheck } from '../src/checks/haRules.js';
import { loadBalancerReaches, upstreamServes } from '../src/checks/loadBalancer.js';
import { tierHealth } from '../src/checks/tier.js';
import { BLUEPRINT_TLS_NAME, clusterCaCertificate, tierName } from '../src/stackstorm/material.js';
import { blueprints, controllerAddress, controllers, isTier, postgresAddress, validateCluster } from '../src/stackstorm/topology.js';
import { st2Features } from '../src/stackstorm/versions.js';

/**
 * `st2prov check`: the health of a deployed cluster, seen from its own hosts. Read-only:
 * every step is a check. Each blueprint's components answer and it reaches the controller's
 * databases and broker; the load balancer reaches every blueprint and sends it requests (none
 * left drained); the HA rules hold across the blueprints' own configs, and the blueprints
 * agree on what must be the same everywhere.
 * In the tier: each dependency's cluster health and what survives losing one controller, from
 * every controller that answers.
 */
const mistral = (h: HostContext) => st2Features(h.settings.st2_version).mistral;
const redis = (h: HostContext) => h.settings.coordination_backend === 'redis';

export const plays: Play[] = [
  {
    name: 'controller',
    hosts: 'controller',
    // one controller or three, before any host is contacted
    validate: (cluster) => validateCluster(cluster, { needsController: false }),
    steps: [
      { name: 'the load balancer reaches every blueprint', check: (h) => loadBalancerReaches(blueprints(h.cluster), clusterCaCertificate(h), BLUEPRINT_TLS_NAME) },
      // a blueprint left drained answers when asked directly: only the upstream shows it gets no request
      { name: 'the load balancer sends requests to every blueprint', check: (h) => upstreamServes(blueprints(h.cluster)) },
    ],
    cluster: [tierHealth],
  },
  {
    name: 'blueprint',
    hosts: 'blueprint',
    steps: [
      { name: 'st2 components answer', check: (h) => componentsAnswer({ mistral: mistral(h) }) },
      { name: 'the controller’s services are reached', check: (h) => controllers(h.cluster).length > 0 && (isTier(h.cluster)
        ? tierReached({
          controllers: controllers(h.cluster),
          postgres: mistral(h) ? postgresAddress(h.cluster) : undefined,
          sentinelMaster: redis(h) ? tierName(h, 'sentinelMaster') : undefined,
          zookeeper: h.settings.coordination_backend === 'zookeeper' && !h.settings.coordination_url,
        })
        : dependenciesReached({
          address: controllerAddress(h.cluster),
          postgres: mistral(h),
          redis: redis(h),
          zookeeper: h.settings.coordination_backend === 'zookeeper' && !h.settings.coordination_url,
        })) },
    ],
    cluster: [haRulesCheck, consistencyCheck],
  },
];
