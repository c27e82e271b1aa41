import type { HostContext } from '../src/core/context.js';
import type { Play } from '../src/core/operation.js';
import * as ops from '../src/ops/index.js';
import { tierName } from '../src/stackstorm/material.js';
import { REDIS_PORT, SENTINEL_PORT } from '../src/stackstorm/sentinel.js';
import { REPLICATION_USER, mongoMember, rabbitNode, rabbitNodes } from '../src/stackstorm/tier.js';
import { controllers, isTier, postgresPair } from '../src/stackstorm/topology.js';
import { st2Features } from '../src/stackstorm/versions.js';
import { CONTROLLER_INSTALL_STEP } from '../src/stackstorm/controller.js';

/**
 * The controller tier, once each controller runs its services: they become one cluster each.
 * RabbitMQ's nodes join the first controller's and mirror their queues; Redis follows the
 * master Sentinel watches; PostgreSQL's standby (Mistral era) copies the primary and streams
 * from it; MongoDB's members form a replica set. Every step reads what the
 * cluster already is, so a controller that comes back, or a new one, is joined by the same apply.
 */
const redisTier = (h: HostContext) => h.settings.coordination_backend === 'redis';
const mistral = (h: HostContext) => st2Features(h.settings.st2_version).mistral;

export const controllerTierPlay: Play = {
  name: 'controller tier',
  hosts: 'controller',
  when: isTier,
  together: true,
  steps: [
    { name: 'RabbitMQ: the controllers are one cluster', after: CONTROLLER_INSTALL_STEP, tags: ['rabbitmq'], run: (h) =>
      ops.rabbitmqCluster({ self: rabbitNode(h.host), nodes: rabbitNodes(h.cluster) }) },
    { name: 'RabbitMQ: queues survive losing a node', after: CONTROLLER_INSTALL_STEP, tags: ['rabbitmq'], run: () => ops.rabbitmqHaQueues() },
    { name: 'RabbitMQ user for st2 on the cluster (guest is refused over the network)', after: CONTROLLER_INSTALL_STEP, tags: ['rabbitmq'], run: (h) =>
      ops.rabbitmqUser({ user: h.settings.rabbitmq_user, password: h.secret('rabbitmq_password'), address: h.host.address }) },
    { name: 'Redis: a replica of the master Sentinel watches, unless it is that master', after: CONTROLLER_INSTALL_STEP, tags: ['redis'], run: (h) => redisTier(h) &&
      ops.redisFollowsSentinel({ master: tierName(h, 'sentinelMaster'), address: h.host.address, redisPort: REDIS_PORT, sentinelPort: SENTINEL_PORT, password: h.secret('redis_password') }) },
    { name: 'PostgreSQL: the standby streams from the primary', after: CONTROLLER_INSTALL_STEP, tags: ['postgresql'], run: (h) => mistral(h) && postgresPair(h.cluster).standby === h.host &&
      ops.postgresStandby({ primary: postgresPair(h.cluster).primary.address, user: REPLICATION_USER, password: h.secret('postgresql_replication_password') }) },
    { name: 'MongoDB: a replica set of the controllers', after: CONTROLLER_INSTALL_STEP, tags: ['mongodb'], run: (h) =>
      ops.mongoReplicaSet({ name: tierName(h, 'replicaSet'), members: controllers(h.cluster).map(mongoMember), self: mongoMember(h.host) }) },
  ],
};
