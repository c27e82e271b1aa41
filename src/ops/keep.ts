import { change } from '../core/change.js';
import type { MaterialSpec } from '../core/context.js';
import type { Operation } from '../core/operation.js';

/**
 * Secrets and material made once on the control machine and kept in the state folder:
 * the change lists what is missing, apply makes it. Run first, so every host of the run
 * (and every later run) gets the same values. A dry run makes nothing.
 */
export function kept(secrets: Readonly<Record<string, () => string>>, material: readonly MaterialSpec[]): Operation {
  return {
    title: 'cluster secrets and material',
    async plan(host) {
      const missing = host.vault.missing(Object.keys(secrets));
      const unmade = material.filter((m) => !host.vault.hasMaterial(m));
      if (missing.length === 0 && unmade.length === 0) return [];
      return [change({
        kind: 'secrets',
        summary: `make ${[...missing, ...unmade.map((m) => `${m.name} (${m.files.join(', ')})`)].join(', ')} and keep them in the state folder`,
        apply: async () => {
          host.vault.generate(Object.fromEntries(missing.map((n) => [n, secrets[n]!])));
          await host.vault.makeMaterial(unmade);
        },
      })];
    },
  };
}
