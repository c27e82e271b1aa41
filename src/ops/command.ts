import { change } from '../core/change.js';
import type { Operation } from '../core/operation.js';
import { fact } from '../core/fact.js';
import { shellScript } from '../core/command.js';

export interface CommandSpec {
  /** what the command achieves, for the plan and the recap */
  summary: string;
  argv: readonly string[];
  stdin?: string;
  /** skip when this path exists (the command creates it) */
  creates?: string;
  /** skip when this command succeeds */
  unless?: readonly string[];
  notify?: string[];
}

/** A command that runs only when its guard says the work is not done yet. */
export function command(spec: CommandSpec): Operation {
  return {
    title: spec.summary,
    facts: () => (spec.creates ? [existsFact(spec.creates)] : []),
    async plan(host) {
      if (spec.creates) {
        const exists = await host.fact(existsFact(spec.creates));
        if (exists) return [];
      }
      if (spec.unless) {
        const done = await host.exec({ argv: spec.unless });
        if (done.code === 0) return [];
      }
      return [
        change({
          kind: 'command',
          summary: spec.summary,
          ...(spec.notify ? { notify: spec.notify } : {}),
          apply: async () => {
            await host.run(spec.summary, { argv: spec.argv, ...(spec.stdin !== undefined ? { stdin: spec.stdin } : {}) });
          },
        }),
      ];
    },
  };
}

function existsFact(path: string) {
  return fact(`exists:${path}`, shellScript('test -e "$1"', [path]), (r) => r.code === 0);
}
