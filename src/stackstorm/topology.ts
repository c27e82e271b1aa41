import { PlaybookError } from '../errors.js';
import type { ClusterView } from '../engine/hostContext.js';
import type { Host } from '../inventory/inventory.js';

/** The address other hosts use to reach a host: ansible_host, else its name. */
export function addressOf(host: Host): string {
  return String(host.vars.ansible_host ?? host.name);
}

export function controllerOf(cluster: ClusterView): Host {
  const controllers = cluster.byRole('controller');
  if (controllers.length !== 1) {
    throw new PlaybookError(`the inventory has ${controllers.length} hosts in [controller]`, 'an HA cluster has exactly one controller box');
  }
  return controllers[0]!;
}

/** Where blueprints reach the controller's services: controller_address, else its address. */
export function controllerAddress(cluster: ClusterView): string {
  const controller = controllerOf(cluster);
  return String(controller.vars.controller_address ?? addressOf(controller));
}

/** Blueprints in inventory order: the load balancer's upstream and the partition order. */
export function blueprints(cluster: ClusterView): Host[] {
  return [...cluster.byRole('blueprint')];
}

/** The /24 networks of the blueprints' IPv4 addresses: the default pg_hba rule(s). */
export function blueprintNetworks(cluster: ClusterView): string[] {
  const nets = new Set<string>();
  for (const b of blueprints(cluster)) {
    const address = addressOf(b);
    const m = /^(\d+\.\d+\.\d+)\.\d+$/.exec(address);
    if (!m) throw new PlaybookError(`blueprint ${b.name} has address "${address}", not an IPv4 address`, 'set pg_hba_network to the blueprints’ network, e.g. 10.0.3.0/24');
    nets.add(`${m[1]}.0/24`);
  }
  return [...nets];
}
