import type { Change } from '../core/change.js';
import { MissingInput, PlaybookError, UnreachableError } from '../core/errors.js';
import type { Fact } from '../core/fact.js';
import { isCheckStep, listOf, type Check, type Operation, type Play, type Step } from '../core/operation.js';
import { LOCALHOST, type HostOutcome, type Mode, type StepResult, type Verdict } from '../core/results.js';
import { mask } from '../core/secret.js';
import type { OwedHandlers } from '../state/owedHandlers.js';
import type { EngineHost } from './engineHost.js';

export interface HostPlayOptions {
  mode: Mode;
  tags: readonly string[];
  skipTags: readonly string[];
  owed: OwedHandlers;
  record(result: StepResult): void;
  stepStarted(step: string): void;
  /** why the run stops, once it must */
  aborted(): string | undefined;
  /** waits for the group the play needs; says why not to go on when it failed */
  needed(): Promise<string | undefined>;
  /**
   * Waits for this host's turn (its batch, with --serial or a rolling step) before the part
   * of the play that rolls; says why not to go on when an earlier batch failed.
   */
  turn(): Promise<string | undefined>;
  /**
   * Whether this host takes turns (always with --serial; for a rolling step, when it serves:
   * Play.serving) and whether it serves now (only a host that serves is drained in its turn).
   * Asked once the play's facts are read: what it reads joins that one probe.
   */
  rolls(): Promise<Rolls>;
  /** the last step of this host's earlier plays that changed: in a dry run, a later play's missing input may come from it */
  changedBefore?: string;
}

export interface Rolls {
  takes: 'whole play' | 'rolling steps' | 'no';
  serves: boolean;
}

/** What a step will do on this host, planned when the play starts there. */
type Planned =
  | { step: Step; ops: Operation[]; checks?: undefined; error?: undefined }
  | { step: Step; checks: Check[]; ops?: undefined; error?: undefined }
  | { step: Step; error: unknown; ops?: undefined; checks?: undefined };

/**
 * Runs one play's steps in order on one host. Planning first: every selected step's
 * run() (or check()) is called once, and the facts of all the operations it returns are
 * read in one round trip; then each step plans its changes from those facts and, in an
 * apply, acts on them. The same code serves diff and apply; only whether a change's
 * action is called differs. Handlers run once at the end, only when notified.
 */
export async function runHostPlay(play: Play, ctx: EngineHost, extraFacts: readonly Fact<unknown>[], options: HostPlayOptions): Promise<{ outcome: HostOutcome; reason: string; refused?: boolean } | undefined> {
  const host = ctx.name;
  const apply = options.mode === 'apply';
  /** In a dry run, an input a step or handler needs that an earlier change makes: why it is pending (else it failed). */
  const pendingReason = (err: unknown, waitsFor: string | undefined): string | undefined =>
    err instanceof MissingInput && !apply && waitsFor ? `pending, after "${waitsFor}" (${err.what} does not exist yet)` : undefined;
  const notified = new Set<string>(apply ? options.owed.owed(host, play.name) : []);
  // the order of the play's changes (applied, or planned in a dry run): when each handler was last
  // notified, when each service was started from stopped; what an earlier run owes counts as before all
  const order = { changes: 0, notified: new Map<string, number>(), started: new Map<string, number>() };
  const took = (c: Change) => {
    order.changes++;
    c.notify.forEach((n) => order.notified.set(n, order.changes));
    c.starts?.forEach((s) => order.started.set(s, order.changes));
  };
  const startedSinceNotice = (handler: string) => new Set([...order.started].filter(([, at]) => at > (order.notified.get(handler) ?? 0)).map(([s]) => s));
  let lastChanged = options.changedBefore;
  const result = (step: string, fields: Omit<StepResult, 'host' | 'play' | 'step'>) => options.record({ host, play: play.name, step, ...fields });
  const remember = () => {
    if (apply) options.owed.set(host, play.name, [...notified]);
  };
  const fail = (reason: string) => {
    remember();
    return { outcome: 'failed' as const, reason };
  };

  const planned = play.steps.filter((s) => selectedByTags(s, options)).map((step): Planned => {
    try {
      return isCheckStep(step) ? { step, checks: listOf(step.check(ctx)) } : { step, ops: listOf(step.run(ctx)) };
    } catch (error) {
      return { step, error };
    }
  });
  const facts = planned.flatMap((p) => [...(p.ops ?? []), ...(p.checks ?? [])].flatMap((w) => w.facts?.(ctx) ?? []));
  await ctx.prefetch([...facts, ...extraFacts]).catch(() => undefined);
  const rolls = await options.rolls();

  let waited = false;
  // the part of the play that rolls starts at its first rolling step in the play as written,
  // whether --tags or --skip-tags selected that step or not: a selection never skips the turn
  const rollsFrom = play.steps.findIndex((s) => s.rolling);
  const rolling = (step: Step) => rollsFrom >= 0 && play.steps.indexOf(step) >= rollsFrom;
  let turned = rolls.takes === 'no';
  // in its turn now: what disrupts may drain the host first
  let holding = false;
  const takeTurn = async () => {
    turned = true;
    const blocked = await options.turn();
    holding = !blocked;
    return blocked;
  };
  /** waits, once, for the group the play needs (a drain edits what that group serves); why not to go on */
  const ready = async (): Promise<string | undefined> => {
    if (waited) return undefined;
    waited = true;
    return options.needed();
  };
  const drain = rolls.serves ? play.drain : undefined;
  let drained = false;
  /** a step of the play's drain (out or back): planned, acted on in an apply, recorded */
  const drainStep = async (step: string, op: Operation): Promise<void> => {
    const t0 = Date.now();
    options.stepStarted(step);
    const changes: Change[] = [];
    try {
      await ctx.prefetch(op.facts?.(ctx) ?? []).catch(() => undefined);
      for (const c of await op.plan(ctx)) {
        if (apply) {
          await c.apply();
          ctx.forget();
        }
        changes.push(c);
      }
    } catch (err) {
      result(step, { status: 'failed', changes, reason: describe(err), ms: Date.now() - t0 });
      throw new StepFailure(`${step}: ${describe(err)}`);
    }
    result(step, { status: changes.length ? 'changed' : 'ok', changes, ms: Date.now() - t0 });
  };
  /** before a change that disrupts: the host's turn (wherever the change sits in the play), then out of service (once) */
  const beforeActing = async (c: Change): Promise<void> => {
    if (!c.disrupts || !drain) return;
    const blocked = (await ready()) ?? (turned ? undefined : await takeTurn());
    if (blocked) throw new StepFailure(blocked);
    if (!holding || drained) return;
    drained = true;
    await drainStep(drain.out, drain.take(ctx));
  };
  if (rolls.takes === 'whole play') {
    const blocked = await takeTurn();
    if (blocked) return { outcome: 'stopped', reason: blocked };
  }
  for (const p of planned) {
    if (!p.step.independent) {
      const blocked = await ready();
      if (blocked) return { outcome: 'stopped', reason: blocked };
    }
    if (!turned && rolling(p.step)) {
      const blocked = await takeTurn();
      if (blocked) return fail(blocked);
    }
    const stop = options.aborted();
    if (stop) return { outcome: 'stopped', reason: `stopped: ${stop}` };
    const t0 = Date.now();
    options.stepStarted(p.step.name);
    if (p.checks) {
      const verdicts = await verify(ctx, p.checks);
      result(p.step.name, { status: verdicts.every((v) => v.ok) ? 'ok' : 'failed', changes: [], verdicts, ms: Date.now() - t0 });
      continue;
    }
    const changes: Change[] = [];
    try {
      if (p.error !== undefined) throw p.error;
      // after a change the host forgot what it knew: read this step's facts again in one go
      await ctx.prefetch(p.ops!.flatMap((op) => op.facts?.(ctx) ?? [])).catch(() => undefined);
      for (const op of p.ops!) {
        for (const c of await op.plan(ctx)) {
          await beforeActing(c);
          if (apply) {
            // owed before acting: a run killed between the change and its handler still owes it
            if (c.notify.some((n) => !notified.has(n))) {
              c.notify.forEach((n) => notified.add(n));
              remember();
            }
            await c.apply();
            ctx.forget();
          }
          changes.push(c);
          c.notify.forEach((n) => notified.add(n));
          took(c);
        }
      }
      result(p.step.name, { status: changes.length ? 'changed' : 'ok', changes, ms: Date.now() - t0 });
      if (changes.length) lastChanged = p.step.name;
    } catch (err) {
      if (err instanceof StepFailure) return fail(err.message);
      // an input made by an earlier operation of this same step, or by the step named, or by the last step that changed something
      const waitsFor = changes.length ? changes[changes.length - 1]!.summary : p.step.after ?? lastChanged;
      const pending = pendingReason(err, waitsFor);
      if (pending) {
        result(p.step.name, { status: 'pending', changes, reason: pending, ms: Date.now() - t0 });
        // what it planned before the missing input still notifies: its handlers wait after it
        if (changes.length) lastChanged = p.step.name;
        continue;
      }
      const reason = describe(err);
      result(p.step.name, { status: 'failed', changes, reason, ms: Date.now() - t0 });
      if (err instanceof UnreachableError) return { outcome: 'unreachable', reason };
      // a rule of the playbook that refuses the run, on the control machine before any host is changed
      if (err instanceof PlaybookError && host === LOCALHOST) return { ...fail(`${p.step.name}: ${reason}`), refused: true };
      return fail(`${p.step.name}: ${reason}`);
    }
  }

  if (notified.size) {
    // handlers restart what may use the needed group's services: they wait for it too
    const blocked = await ready();
    if (blocked) return fail(blocked);
  }
  if (!turned && notified.size) {
    // handlers restart services: on a host that takes turns they roll too
    const blocked = await takeTurn();
    if (blocked) return fail(blocked);
  }
  for (const name of Object.keys(play.handlers ?? {})) {
    if (!notified.has(name)) continue;
    const step = `handler: ${name}`;
    const t0 = Date.now();
    options.stepStarted(step);
    try {
      const changes = await play.handlers![name]!(ctx).plan(ctx, { startedSinceNotice: startedSinceNotice(name) });
      for (const c of changes) {
        await beforeActing(c);
        if (apply) {
          await c.apply();
          ctx.forget();
        }
        took(c);
      }
      notified.delete(name);
      remember();
      result(step, { status: changes.length ? 'changed' : 'ok', changes, reason: 'notified before the end of the play', ms: Date.now() - t0 });
    } catch (err) {
      if (err instanceof StepFailure) return fail(err.message);
      // a dry run on a fresh host: the service the handler reloads comes with a package not installed yet
      const pending = pendingReason(err, lastChanged);
      if (pending) {
        result(step, { status: 'pending', changes: [], reason: pending, ms: Date.now() - t0 });
        continue;
      }
      const reason = describe(err);
      result(step, { status: 'failed', changes: [], reason, ms: Date.now() - t0 });
      return fail(`${step}: ${reason}`);
    }
  }
  if (!turned && drain && (await drain.leftOut(ctx, ctx.host).catch(() => undefined))) {
    // out of service, left so by a run that stopped in its turn: this run has nothing else to
    // do here, but the way back is a turn of its own
    const blocked = (await ready()) ?? (await takeTurn());
    if (blocked) return fail(blocked);
  }
  // the end of the turn: back into service (also a host a failed run left out)
  if (drain && holding) {
    try {
      await drainStep(drain.back, drain.restore(ctx, drained));
    } catch (err) {
      return fail(err instanceof StepFailure ? err.message : describe(err));
    }
  }
  return undefined;
}

/** A drain step failed: already recorded; the host fails with this reason. */
class StepFailure extends Error {}

/** Every verdict of a step's checks; a check that cannot run is a failed verdict, not a crash. */
async function verify(ctx: EngineHost, checks: readonly Check[]): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  for (const check of checks) {
    try {
      verdicts.push(...(await check.verify(ctx)));
    } catch (err) {
      verdicts.push({ check: check.title, ok: false, detail: describe(err) });
    }
  }
  return verdicts.map((v) => (v.detail ? { ...v, detail: mask(v.detail) } : v));
}

export function selectedByTags(step: Step, options: { tags: readonly string[]; skipTags: readonly string[] }): boolean {
  if (step.required) return true;
  const tags = step.tags ?? [];
  if (tags.includes('always')) return !options.skipTags.includes('always');
  if (options.skipTags.some((t) => tags.includes(t))) return false;
  return options.tags.length === 0 || options.tags.some((t) => tags.includes(t));
}

export function describe(err: unknown): string {
  return mask(err instanceof Error ? err.message : String(err));
}
