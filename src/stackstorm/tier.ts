import type { ClusterHost, ClusterView } from '../core/context.js';
import { controllers } from './topology.js';
import { MONGODB_PORT } from './urls.js';

/*
 * How the controller tier's members name each other: by the addresses in the inventory, so
 * no DNS is needed between them and every host computes the same names.
 */

/** A controller's RabbitMQ node: a long name on its address (RABBITMQ_USE_LONGNAME). */
export function rabbitNode(host: ClusterHost): string {
  return `rabbit@${host.address}`;
}

/** Every controller's RabbitMQ node, the first controller's first (the one the others join). */
export function rabbitNodes(cluster: ClusterView): string[] {
  return controllers(cluster).map(rabbitNode);
}

/** A controller's member of the MongoDB replica set. */
export function mongoMember(host: ClusterHost): string {
  return `${host.address}:${MONGODB_PORT}`;
}

/**
 * RabbitMQ's settings for a cluster of three, in its conf.d (3.9 and later): a node cut off
 * from the other two pauses rather than serving a split half, and a node that died is noticed
 * within 15 to 20 s instead of 60 to 75 (until then, what its queues hold waits for it).
 */
export const RABBITMQ_TIER_CONF = `# st2prov: the controller tier's RabbitMQ cluster. Managed file: edits are replaced on the next apply.
cluster_partition_handling = pause_minority
net_ticktime = 15
`;

/** PostgreSQL's role the standby streams WAL as (password: postgresql_replication_password). */
export const REPLICATION_USER = 'st2prov_replication';
