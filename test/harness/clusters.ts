import type { ClusterView } from '../../src/core/context.js';
import { resolveInventory } from '../../src/inventory/inventory.js';
import { parseInventory } from '../../src/inventory/parse.js';
import { clusterView } from '../../src/inventory/selection.js';
import { settle } from '../../src/inventory/settings.js';

/** The cluster a run sees, from inventory text (every host selected). */
export function clusterOf(text: string): ClusterView {
  const settled = settle(resolveInventory(parseInventory(text, 'c.ini')));
  return clusterView(settled, settled.hosts.map((h) => h.name));
}

/** One controller and n blueprints on 10.0.3.0/24, with [all:vars] lines. */
export const BLUEPRINTS = (n: number, vars = '') => `[controller]\nc ansible_host=10.0.3.10\n[blueprint]\n${Array.from({ length: n }, (_, i) => `b${i + 1} ansible_host=10.0.3.${11 + i}`).join('\n')}\n[all:vars]\n${vars}\n`;

/** The controller tier (three controllers, lb_vip 10.0.3.5) and n blueprints, with [all:vars] lines. */
export const TIER = (n: number, vars = '') => `[controller]\nc1 ansible_host=10.0.3.7\nc2 ansible_host=10.0.3.8\nc3 ansible_host=10.0.3.9\n[blueprint]\n${Array.from({ length: n }, (_, i) => `b${i + 1} ansible_host=10.0.3.${11 + i}`).join('\n')}\n[all:vars]\nlb_vip=10.0.3.5\n${vars}\n`;
