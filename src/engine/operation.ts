import type { Host } from '../inventory/inventory.js';
import type { Fact } from '../facts/fact.js';
import type { Change } from './change.js';
import type { HostContext } from './hostContext.js';

/** A desired state on one host: reads facts, returns the changes needed (none when converged). */
export interface Operation {
  title: string;
  plan(host: HostContext): Promise<Change[]>;
  /** the facts plan() will read, so a whole play's can be read in one round trip */
  facts?(host: HostContext): Fact<unknown>[];
}

export type OperationList = Operation | readonly (Operation | undefined | false)[] | undefined | false;

export interface Step {
  name: string;
  tags?: string[];
  /** the operations for this host; called after earlier steps have run on it */
  run(host: HostContext): OperationList | Promise<OperationList>;
  /** names the step a missing input waits for in a dry run, when it is not simply the latest changed one */
  after?: string;
}

/** Runs the handlers notified so far, mid-play. */
export interface FlushStep {
  name: string;
  flush: true;
}

export interface Play {
  name: string;
  /** inventory group (a role) or host pattern this play runs on */
  hosts: string;
  steps: (Step | FlushStep)[];
  /** handler name → operation; run once at a flush or the end, only when notified */
  handlers?: Record<string, (host: HostContext) => Operation>;
  /** a play whose hosts need this group to have succeeded first */
  needs?: string;
  /** run before any host is contacted: cluster-wide checks that must refuse bad input */
  validate?: (hosts: readonly Host[]) => void;
}

export function isFlush(step: Step | FlushStep): step is FlushStep {
  return (step as FlushStep).flush === true;
}

export function operations(list: OperationList): Operation[] {
  if (!list) return [];
  if (Array.isArray(list)) return list.filter((o): o is Operation => Boolean(o));
  return [list as Operation];
}

/** Several operations as one (a handler that restarts two services). */
export function allOf(title: string, list: readonly Operation[]): Operation {
  return {
    title,
    async plan(host) {
      const changes = [];
      for (const op of list) changes.push(...(await op.plan(host)));
      return changes;
    },
    facts: (host) => list.flatMap((op) => op.facts?.(host) ?? []),
  };
}
