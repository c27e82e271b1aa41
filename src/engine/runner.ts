import { MissingInput, UnreachableError } from '../errors.js';
import type { Host } from '../inventory/inventory.js';
import { mask } from '../secrets.js';
import type { SecretStore } from '../secretStore.js';
import type { SshConnection } from '../ssh/connection.js';
import { Semaphore } from '../ssh/semaphore.js';
import type { Change, StepResult } from './change.js';
import type { HostOutcome, RunEvents } from './events.js';
import { HandlerLedger } from './handlerLedger.js';
import { HostContext, type ClusterView, type Mode } from './hostContext.js';
import { lockHost, type HostLock } from './hostLock.js';
import { isFlush, operations, type Play, type Step } from './operation.js';

export interface RunOptions {
  mode: Mode;
  forks: number;
  tags: string[];
  skipTags: string[];
  anyErrorsFatal: boolean;
  maxFailPercent: number;
  lockWaitSeconds: number;
  stateDir: string;
  connect(host: Host): SshConnection;
  secrets: SecretStore;
  cluster: ClusterView;
  events: RunEvents;
}

export interface HostRecap {
  host: string;
  ok: number;
  changed: number;
  pending: number;
  failed: number;
  skipped: number;
  unreachable: number;
  ms: number;
  /** why the host failed, was unreachable or stopped */
  reason?: string;
}

export interface RunReport {
  mode: Mode;
  results: StepResult[];
  recap: HostRecap[];
  ms: number;
}

interface HostSession {
  connection: SshConnection;
  lock: HostLock;
  /** shared across plays so facts read once stay known */
  contexts: Map<string, HostContext>;
}

/**
 * Runs plays over hosts: one connection and one lock per host for the whole run, hosts in
 * parallel up to `forks`, steps in order on each host. The same code serves `diff` and
 * `apply`: only whether a planned change's action is called differs.
 */
export async function runPlays(plays: readonly Play[], hosts: readonly Host[], options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const results: StepResult[] = [];
  const recap = new Map<string, HostRecap>(hosts.map((h) => [h.name, emptyRecap(h.name)]));
  const sessions = new Map<string, Promise<HostSession>>();
  const outcome = new Map<string, HostOutcome>();
  const ledger = new HandlerLedger(options.stateDir);
  let aborted: string | undefined;

  const record = (result: StepResult) => {
    results.push(result);
    const r = recap.get(result.host)!;
    if (result.status === 'changed') r.changed++;
    else if (result.status === 'ok') r.ok++;
    else if (result.status === 'pending') r.pending++;
    else if (result.status === 'failed') r.failed++;
    else if (result.status === 'skipped') r.skipped++;
    options.events.stepFinished?.(result);
  };

  // connections are opened --forks at a time, like the work itself
  const opening = new Semaphore(Math.max(1, options.forks));
  const session = (host: Host): Promise<HostSession> => {
    let s = sessions.get(host.name);
    if (!s) {
      s = opening.use(async () => {
        const connection = options.connect(host);
        await connection.connect();
        try {
          const lock = await lockHost(connection, options.mode === 'apply', options.lockWaitSeconds, () =>
            options.events.message?.(host.name, 'waiting for another st2prov run on this host to finish'),
          );
          return { connection, lock, contexts: new Map() };
        } catch (err) {
          connection.close();
          throw err;
        }
      });
      sessions.set(host.name, s);
    }
    return s;
  };

  // connect to (and lock) every host of every play at once: later plays find theirs ready
  for (const play of plays) for (const h of playHosts(play, hosts)) session(h).catch(() => undefined);

  const totalHosts = hosts.length;
  const participated = new Set<string>();
  const failedCount = () => [...outcome.values()].filter((o) => o !== 'ok').length;

  for (const play of plays) {
    const members = playHosts(play, hosts);
    if (members.length === 0) continue;
    members.forEach((h) => participated.add(h.name));
    const blockedBy = play.needs
      ? hosts.filter((h) => h.groups.includes(play.needs!) && outcome.get(h.name) && outcome.get(h.name) !== 'ok').map((h) => h.name)
      : [];
    await pool(members, options.forks, async (host) => {
      const r = recap.get(host.name)!;
      const t0 = Date.now();
      const finish = (o: HostOutcome, reason?: string) => {
        if (o !== 'ok' || !outcome.has(host.name)) outcome.set(host.name, o);
        if (reason) r.reason = mask(reason);
        r.ms += Date.now() - t0;
        options.events.hostFinished?.(host.name, play.name, o, reason && mask(reason));
        const limit = (options.maxFailPercent / 100) * totalHosts;
        if (o !== 'ok' && !aborted) {
          if (options.anyErrorsFatal) aborted = `${host.name} failed and --any-errors-fatal is set`;
          else if (options.maxFailPercent < 100 && failedCount() > limit) aborted = `more than ${options.maxFailPercent}% of hosts failed`;
        }
      };
      if (outcome.get(host.name) && outcome.get(host.name) !== 'ok') return; // failed in an earlier play
      if (aborted) return finish('stopped', `not run: ${aborted}`);
      if (blockedBy.length) return finish('stopped', `not run: needs ${play.needs} ${blockedBy.join(', ')}, which failed`);
      options.events.hostStarted?.(host.name, play.name);
      let s: HostSession;
      try {
        s = await session(host);
      } catch (err) {
        r.unreachable = 1;
        return finish('unreachable', err instanceof Error ? err.message : String(err));
      }
      let ctx = s.contexts.get(play.name);
      if (!ctx) {
        ctx = new HostContext(host, options.mode, s.connection, options.secrets, options.cluster);
        s.contexts.set(play.name, ctx);
      }
      const failure = await runSteps(play, ctx, options, ledger, record, () => aborted);
      if (failure) return finish(failure.outcome, failure.reason);
      finish('ok');
    });
  }

  for (const s of sessions.values()) {
    await s.then(
      (x) => {
        x.lock.release();
        x.connection.close();
      },
      () => undefined,
    );
  }
  return { mode: options.mode, results, recap: [...recap.values()].filter((r) => participated.has(r.host)), ms: Date.now() - started };
}

async function runSteps(
  play: Play,
  ctx: HostContext,
  options: RunOptions,
  ledger: HandlerLedger,
  record: (r: StepResult) => void,
  aborted: () => string | undefined,
): Promise<{ outcome: HostOutcome; reason: string } | undefined> {
  const host = ctx.name;
  const apply = options.mode === 'apply';
  const notified = new Set<string>(apply ? ledger.owed(host, play.name) : []);
  let lastChanged: string | undefined;

  const runHandlers = async (at: string): Promise<string | undefined> => {
    for (const name of Object.keys(play.handlers ?? {})) {
      if (!notified.has(name)) continue;
      const step = `handler: ${name}`;
      const t0 = Date.now();
      options.events.stepStarted?.(host, play.name, step);
      try {
        const op = play.handlers![name]!(ctx);
        const changes = await op.plan(ctx);
        if (apply) for (const c of changes) await c.apply();
        if (apply) ctx.forget();
        notified.delete(name);
        if (apply) ledger.set(host, play.name, [...notified]);
        record({ host, play: play.name, step, status: changes.length ? 'changed' : 'ok', changes, reason: `notified before ${at}`, ms: Date.now() - t0 });
      } catch (err) {
        const reason = describe(err);
        record({ host, play: play.name, step, status: 'failed', changes: [], reason, ms: Date.now() - t0 });
        return `${step}: ${reason}`;
      }
    }
    return undefined;
  };

  const fail = (reason: string) => {
    if (apply) ledger.set(host, play.name, [...notified]);
    return { outcome: 'failed' as const, reason };
  };

  await prefetchPlay(play, ctx, options);
  for (const step of play.steps) {
    const stop = aborted();
    if (stop) return { outcome: 'stopped', reason: `stopped: ${stop}` };
    if (isFlush(step)) {
      const problem = await runHandlers(step.name);
      if (problem) return fail(problem);
      continue;
    }
    if (!selectedByTags(step, options)) continue;
    const t0 = Date.now();
    options.events.stepStarted?.(host, play.name, step.name);
    const changes: Change[] = [];
    try {
      const ops = operations(await step.run(ctx));
      // after a change the host forgot what it knew: read this step's facts again in one go
      await ctx.prefetch(ops.flatMap((op) => op.facts?.(ctx) ?? [])).catch(() => undefined);
      for (const op of ops) {
        const planned = await op.plan(ctx);
        for (const c of planned) {
          if (apply) {
            await c.apply();
            ctx.forget();
          }
          changes.push(c);
          c.notify.forEach((n) => notified.add(n));
        }
      }
      if (apply && notified.size) ledger.set(host, play.name, [...notified]);
      record({ host, play: play.name, step: step.name, status: changes.length ? 'changed' : 'ok', changes, ms: Date.now() - t0 });
      if (changes.length) lastChanged = step.name;
    } catch (err) {
      // an input made by an earlier operation of this same step, or by the step named, or by the last step that changed something
      const waitsFor = changes.length ? changes[changes.length - 1]!.summary : step.after ?? lastChanged;
      if (err instanceof MissingInput && !apply && waitsFor) {
        record({ host, play: play.name, step: step.name, status: 'pending', changes, reason: `pending, after "${waitsFor}" (${err.what} does not exist yet)`, ms: Date.now() - t0 });
        continue;
      }
      const reason = describe(err);
      record({ host, play: play.name, step: step.name, status: 'failed', changes, reason, ms: Date.now() - t0 });
      if (err instanceof UnreachableError) return { outcome: 'unreachable', reason };
      return fail(`${step.name}: ${reason}`);
    }
  }
  const problem = await runHandlers('the end of the play');
  if (problem) return fail(problem);
  return undefined;
}

/**
 * Reads the facts of every step of a play in one round trip before the first step runs.
 * A no-op run or a dry run then costs one probe per host; a step whose operations cannot be
 * known yet (they depend on a change not made) simply reads its facts when it runs.
 */
async function prefetchPlay(play: Play, ctx: HostContext, options: RunOptions): Promise<void> {
  const facts = [];
  for (const step of play.steps) {
    if (isFlush(step) || !selectedByTags(step, options)) continue;
    try {
      for (const op of operations(await step.run(ctx))) facts.push(...(op.facts?.(ctx) ?? []));
    } catch {
      // the step reports its own error when it runs
    }
  }
  await ctx.prefetch(facts).catch(() => undefined);
}

/** The hosts a play runs on: the members of its group, or the host it names. */
function playHosts(play: Play, hosts: readonly Host[]): Host[] {
  return hosts.filter((h) => h.groups.includes(play.hosts) || h.name === play.hosts);
}

function selectedByTags(step: Step, options: RunOptions): boolean {
  const tags = step.tags ?? [];
  if (options.skipTags.some((t) => tags.includes(t))) return false;
  return options.tags.length === 0 || options.tags.some((t) => tags.includes(t));
}

function describe(err: unknown): string {
  return mask(err instanceof Error ? err.message : String(err));
}

function emptyRecap(host: string): HostRecap {
  return { host, ok: 0, changed: 0, pending: 0, failed: 0, skipped: 0, unreachable: 0, ms: 0 };
}

async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(workers);
}
