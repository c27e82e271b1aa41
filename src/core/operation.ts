import type { Change } from './change.js';
import type { ClusterHost, ClusterView, HostContext } from './context.js';
import type { Fact } from './fact.js';
import type { Verdict } from './results.js';

/** A desired state on one host: reads facts, returns the changes needed (none when converged). */
export interface Operation {
  title: string;
  plan(host: HostContext, scope?: PlanScope): Promise<Change[]>;
  /** the facts plan() will read, so a whole play's can be read in one round trip */
  facts?(host: HostContext): Fact<unknown>[];
}

/** What the engine tells an operation about the play it plans in (a handler's). */
export interface PlanScope {
  /**
   * Services the play started from stopped (a change with `starts`) after the handler being
   * planned was last notified: they run the configuration on disk already, and restarting or
   * reloading them again would only interrupt them.
   */
  startedSinceNotice?: ReadonlySet<string>;
}

/** A read-only probe with a verdict: what `st2prov check` runs. */
export interface Check {
  title: string;
  verify(host: HostContext): Promise<Verdict[]>;
  facts?(host: HostContext): Fact<unknown>[];
}

type List<T> = T | readonly (T | undefined | false)[] | undefined | false;
export type OperationList = List<Operation>;
export type CheckList = List<Check>;

interface StepBase {
  name: string;
  tags?: string[];
  /** Makes what every later step reads (the cluster's secrets and material): runs whatever --tags and --skip-tags say. */
  required?: boolean;
  /**
   * Uses nothing the group its play needs provides (files, packages): it runs while that group
   * is still being set up. The first step that is not independent waits for the group.
   */
  independent?: boolean;
  /**
   * Disrupts what the host serves (stops, upgrades, restarts): from this step on, and in its
   * handlers, hosts that serve take turns, a batch at a time (one by default, --serial N).
   * Where the play's first rolling step sits decides, whether --tags selected it or not.
   */
  rolling?: boolean;
  /** names the step a missing input waits for in a dry run, when it is not simply the latest changed one */
  after?: string;
}

/**
 * A step of a play. `run` (or `check`) is called once per host, when the play starts on that
 * host and before any of its steps runs: it builds the step's operations from the settings
 * and the cluster, and must not read the host. What depends on the host's state is read by
 * the operations themselves, in plan(), when the step's turn comes.
 */
export interface OperationStep extends StepBase {
  run(host: HostContext): OperationList;
}

export interface CheckStep extends StepBase {
  check(host: HostContext): CheckList;
}

export type Step = OperationStep | CheckStep;

/**
 * What a check across hosts learns from each host beyond its facts: a protocol spoken from it
 * (MongoDB's replica set status, what its Sentinel says), read once per host like a fact.
 */
export interface Probe<T> {
  key: string;
  read(host: HostContext): Promise<T>;
  /**
   * What the cluster says, the same from any of its hosts (RabbitMQ's members and queues):
   * asked of one host at a time, in inventory order, until one answers; every host then
   * reads that answer (or, when none could, every host's reason).
   */
  once?: boolean;
}

/** The facts one host returned, for checks across hosts. */
export interface HostFacts {
  name: string;
  /** the fact's (or probe's) value; throws what reading it threw */
  get<T>(f: Fact<T> | Probe<T>): T;
}

/** A check across every host of a play (the HA rules), from facts read on each of them. */
export interface ClusterCheck {
  title: string;
  facts(host: HostContext): Fact<unknown>[];
  probes?(host: HostContext): Probe<unknown>[];
  /**
   * `unreached` names the play's hosts that could not be read: only for a check that is
   * `partial`; any other fails whole when one is missing.
   */
  verify(hosts: readonly HostFacts[], cluster: ClusterView, unreached: readonly string[]): Verdict[];
  /** judges what survives with the hosts it can reach (a cluster that has lost one), naming the others */
  partial?: boolean;
}

export interface Play {
  name: string;
  /** an inventory group (a role), a host name, or "localhost" for the control machine */
  hosts: string;
  steps: Step[];
  /** handler name → operation; run once at the end of the play, only when notified */
  handlers?: Record<string, (host: HostContext) => Operation>;
  /** a group whose hosts must have finished their plays, without failing, before this play's steps that are not independent */
  needs?: string;
  /**
   * Its hosts start it together: each waits (before its first step that is not independent)
   * until every host of the play is done with the plays before it, or failed in them. The
   * controller tier's clusters join nodes that must all be running.
   */
  together?: boolean;
  /** whether the play belongs to this cluster at all (the controller tier's: three controllers); absent, it always does */
  when?(cluster: ClusterView): boolean;
  /** run before any host is contacted: cluster-wide rules that must refuse bad input */
  validate?(cluster: ClusterView): void;
  /** checks across the play's hosts, after their steps */
  cluster?: ClusterCheck[];
  /** for rolling steps: whether a host serves now (a fresh host does not, and needs no turn) */
  serving?(host: HostContext): Fact<boolean>;
  /** how a host that serves is taken out of service in its turn, and put back (see Drain) */
  drain?: Drain;
}

/**
 * Taking a host out of service around the disruptive part of its turn (out of the load
 * balancer, its singletons handed to another host), and putting it back. The engine drains a
 * host that serves, in its turn, just before the first change that disrupts (Change.disrupts):
 * a turn with nothing disruptive drains nothing. At the end of the turn, after the handlers,
 * `back` is planned on every host that took a turn (a host left out by a failed run goes back
 * once its turn succeeds); a host that fails stays out. A host found out of service that has
 * nothing else to do in this run takes its turn for the way back alone; one the run leaves out
 * (--limit, --role) is reported by name with the remedy.
 */
export interface Drain {
  /** step name of the drain, e.g. "drain: out of the load balancer" */
  out: string;
  /** step name of the way back */
  back: string;
  /** what takes the host out of service */
  take(host: HostContext): Operation;
  /**
   * what puts it back; `drained` says a drain of this run came before (in a dry run the host
   * was not really taken out: the plan must show the way back all the same)
   */
  restore(host: HostContext, drained: boolean): Operation;
  /**
   * Whether `node` is out of service now, read from `from` (the node itself, or the control
   * machine for a node the run leaves out): why, and what puts it back; undefined when it serves.
   */
  leftOut(from: HostContext, node: ClusterHost): Promise<LeftOut | undefined>;
}

/** A host out of service with no turn of this run to put it back: why, and the remedy. */
export interface LeftOut {
  reason: string;
  remedy: string;
}

export function isCheckStep(step: Step): step is CheckStep {
  return 'check' in step;
}

export function listOf<T>(list: List<T>): T[] {
  if (!list) return [];
  if (Array.isArray(list)) return list.filter((o): o is T => Boolean(o));
  return [list as T];
}

/** Several operations as one (a handler that restarts two services). */
export function allOf(title: string, list: readonly Operation[]): Operation {
  return {
    title,
    async plan(host, scope) {
      const changes = [];
      for (const op of list) changes.push(...(await op.plan(host, scope)));
      return changes;
    },
    facts: (host) => list.flatMap((op) => op.facts?.(host) ?? []),
  };
}
