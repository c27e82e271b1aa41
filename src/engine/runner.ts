import type { ClusterHost, ClusterView } from '../core/context.js';
import type { Fact } from '../core/fact.js';
import { Semaphore } from '../core/limiter.js';
import type { ClusterCheck, HostFacts, Play, Probe } from '../core/operation.js';
import { LOCALHOST, type HostOutcome, type HostRecap, type Mode, type RunEvents, type RunReport, type RunWarning, type StepResult, type Verdict } from '../core/results.js';
import { mask } from '../core/secret.js';
import type { OwedHandlers } from '../state/owedHandlers.js';
import type { SecretStore } from '../state/secretStore.js';
import { EngineHost, type Transport } from './engineHost.js';
import { Turnstile } from './turnstile.js';
import { describe, runHostPlay, type Rolls } from './hostPlay.js';
import { localExecutor } from '../core/localExecutor.js';
import { Sessions } from './sessions.js';

/** --serial: how many hosts of a play may be in its disruptive part at once. */
export type Serial = { count: number } | { percent: number };

export interface RunOptions {
  mode: Mode;
  forks: number;
  /** --serial; without it, a play's rolling steps roll one host at a time */
  serial?: Serial;
  tags: string[];
  skipTags: string[];
  anyErrorsFatal: boolean;
  maxFailPercent: number;
  lockWaitSeconds: number;
  connect(host: ClusterHost): Transport;
  vault: SecretStore;
  owed: OwedHandlers;
  cluster: ClusterView;
  events: RunEvents;
}

/** The host that stands for the control machine in plays on "localhost". */
function localhostOf(cluster: ClusterView): ClusterHost {
  return { name: LOCALHOST, role: undefined, groups: [], address: '127.0.0.1', settings: cluster.settings, vars: {}, origins: {} };
}

/**
 * Runs plays over hosts: one connection and one lock per host for the whole run, steps in
 * order on each host, the failure policy across them. apply, diff and check are this same
 * run: check's plays are made of checks, and only apply calls a change's action.
 *
 * Plays on localhost (the control machine) run first. Then every host runs its plays in
 * order, hosts in parallel up to --forks. Plays overlap: a play that needs a group (the
 * blueprints need the controller) runs its independent steps at once, and waits for that
 * group to have finished, without failing, only before its first step that needs it.
 */
export async function runPlays(plays: readonly Play[], hosts: readonly ClusterHost[], options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const results: StepResult[] = [];
  const recap = new Map<string, HostRecap>([LOCALHOST, ...hosts.map((h) => h.name)].map((name) => [name, emptyRecap(name)]));
  const outcome = new Map<string, HostOutcome>();
  const sessions = new Sessions({
    forks: options.forks,
    connect: options.connect,
    lock: options.mode === 'apply' ? 'exclusive' : options.mode === 'diff' ? 'shared' : 'none',
    lockWaitSeconds: options.lockWaitSeconds,
    onLockWait: (host) => options.events.message?.(host, 'waiting for another st2prov run on this host to finish'),
  });
  const contexts = new Map<string, Promise<EngineHost>>();
  const working = new Semaphore(Math.max(1, options.forks));
  let aborted: string | undefined;
  let refused: string | undefined;
  const warnings: RunWarning[] = [];

  const record = (result: StepResult) => {
    results.push(result);
    const r = recap.get(result.host);
    if (r) {
      if (result.verdicts) {
        r.ok += result.verdicts.filter((v) => v.ok).length;
        r.failed += result.verdicts.filter((v) => !v.ok).length;
      } else if (result.status !== 'unreachable') r[result.status]++;
    }
    options.events.stepFinished?.(result);
  };

  /** the last step that changed on a host so far in this run */
  const lastChangedOn = (host: string) => {
    for (let i = results.length - 1; i >= 0; i--) if (results[i]!.host === host && results[i]!.status === 'changed') return results[i]!.step;
    return undefined;
  };

  const active = plays.filter((p) => !p.when || p.when(options.cluster));
  const localPlays = active.filter((p) => p.hosts === LOCALHOST);
  const remotePlays = active.filter((p) => p.hosts !== LOCALHOST);
  const playsOf = (host: ClusterHost) => remotePlays.filter((p) => inPlay(p, host));
  const participating = hosts.filter((h) => playsOf(h).length > 0);
  sessions.warm(participating);
  const failedCount = () => [...outcome.entries()].filter(([h, o]) => h !== LOCALHOST && o !== 'ok').length;

  const contextOf = (host: ClusterHost): Promise<EngineHost> => {
    let ctx = contexts.get(host.name);
    if (!ctx) {
      ctx = (async () => new EngineHost(host, host.name === LOCALHOST ? localExecutor : await sessions.connection(host), options.vault, options.cluster, contextOf))();
      contexts.set(host.name, ctx);
    }
    return ctx;
  };

  // each host's whole pipeline of plays: what a play that needs a group waits for
  const pipelines = new Map<string, Promise<void>>();
  // (hosts of the waiting play itself are not waited for: a play cannot need its own hosts)
  const groupDone = (group: string, play: Play) => Promise.all(participating.filter((h) => h.groups.includes(group) && !inPlay(play, h)).map((h) => pipelines.get(h.name)));
  // the hosts a play has finished on, for the checks across them
  const reachedIn = new Map<Play, EngineHost[]>(active.map((p) => [p, []]));
  // a play whose hosts start it together: each host that has come to it (done with the plays before, or failed in them)
  const gatherings = new Map<Play, Gathering>(remotePlays.filter((p) => p.together).map((p) => [p, gathering(participating.filter((h) => inPlay(p, h)).length)]));
  const turnstiles = new Map<Play, Turnstile>(remotePlays.map((p) => {
    const members = participating.filter((h) => inPlay(p, h)).map((h) => h.name);
    const serial = options.serial;
    const size = !serial ? 1 : 'count' in serial ? serial.count : Math.max(1, Math.ceil((serial.percent / 100) * members.length));
    return [p, new Turnstile(members, size)];
  }));
  const pendingIn = new Map<Play, number>(remotePlays.map((p) => [p, participating.filter((h) => inPlay(p, h)).length]));

  /** One play on one host, holding a fork slot but while it waits for the group it needs. */
  const runOn = async (play: Play, host: ClusterHost): Promise<void> => {
    const r = recap.get(host.name)!;
    const t0 = Date.now();
    const turnstile = turnstiles.get(play);
    const finish = (o: HostOutcome, reason?: string) => {
      if (turnstile && o !== 'ok' && turnstile.holds(host.name)) {
        turnstile.failed++;
        const tolerated = options.maxFailPercent < 100 && turnstile.failed <= (options.maxFailPercent / 100) * turnstile.members;
        if (!tolerated) turnstile.stop ??= `not run: ${host.name} failed in its turn (${play.name}); the hosts after it keep what they serve`;
      }
      turnstile?.leave(host.name);
      if (o !== 'ok' || !outcome.has(host.name)) outcome.set(host.name, o);
      if (reason) r.reason = mask(reason);
      r.ms += Date.now() - t0;
      options.events.hostFinished?.(host.name, play.name, o, reason && mask(reason));
      if (o !== 'ok' && !aborted && host.name === LOCALHOST) aborted = 'the control machine’s step failed';
      else if (o !== 'ok' && !aborted) {
        if (options.anyErrorsFatal) aborted = `${host.name} failed and --any-errors-fatal is set`;
        else if (options.maxFailPercent < 100 && failedCount() > (options.maxFailPercent / 100) * hosts.length) aborted = `more than ${options.maxFailPercent}% of hosts failed`;
      }
    };
    const earlier = outcome.get(host.name);
    if (earlier && earlier !== 'ok') {
      turnstile?.leave(host.name); // failed in an earlier play: no turn here
      return;
    }
    if (aborted) return finish('stopped', `not run: ${aborted}`);
    let ctx: EngineHost;
    try {
      ctx = await contextOf(host);
    } catch (err) {
      r.unreachable = 1;
      return finish('unreachable', describe(err));
    }
    reachedIn.get(play)!.push(ctx);
    const needed = async (): Promise<string | undefined> => {
      const together = gatherings.get(play);
      if (!play.needs && !together) return undefined;
      working.release();
      try {
        await together?.all;
        if (play.needs) await groupDone(play.needs, play);
      } finally {
        await working.acquire();
      }
      if (!play.needs) return undefined;
      const failed = hosts.filter((h) => h.groups.includes(play.needs!) && outcome.get(h.name) && outcome.get(h.name) !== 'ok').map((h) => h.name);
      return failed.length ? `not run: needs ${play.needs} ${failed.join(', ')}, which failed` : undefined;
    };
    const turn = async (): Promise<string | undefined> => {
      const t = turnstile!;
      if (t.stop) return t.stop;
      working.release();
      try {
        await t.enter(host.name);
      } finally {
        await working.acquire();
      }
      if (t.stop) t.leave(host.name);
      return t.stop;
    };
    const serving = play.serving?.(ctx);
    // asked once the play's facts are read: whether the host serves is read with them
    const rolls = async (): Promise<Rolls> => {
      const r = await rollsOn(play, ctx, serving, options.serial !== undefined);
      if (r.takes === 'no') turnstile?.leave(host.name); // needs no turn: the hosts after it need not wait for it
      return r;
    };
    const failure = await runHostPlay(play, ctx, [...(play.cluster ?? []).flatMap((c) => c.facts(ctx)), ...(serving ? [serving] : [])], {
      mode: options.mode,
      tags: options.tags,
      skipTags: options.skipTags,
      owed: options.owed,
      record,
      stepStarted: (step) => options.events.stepStarted?.(host.name, play.name, step),
      aborted: () => aborted,
      needed,
      turn,
      rolls,
      changedBefore: lastChangedOn(host.name),
    });
    if (failure?.outcome === 'unreachable') r.unreachable = 1;
    if (failure?.refused) refused ??= mask(failure.reason);
    finish(failure?.outcome ?? 'ok', failure?.reason);
  };

  const checkAcross = async (play: Play) => {
    for (const check of play.cluster ?? []) {
      const t0 = Date.now();
      const verdicts = await verifyAcross(check, play, options.cluster, reachedIn.get(play)!);
      record({ host: 'cluster', play: play.name, step: check.title, status: verdicts.every((v) => v.ok) ? 'ok' : 'failed', changes: [], verdicts, ms: Date.now() - t0 });
    }
  };

  try {
    for (const play of localPlays) {
      await working.use(() => runOn(play, localhostOf(options.cluster)));
      await checkAcross(play);
    }
    for (const host of participating) {
      pipelines.set(host.name, (async () => {
        await working.acquire();
        const ahead = [...playsOf(host)];
        try {
          for (let play = ahead.shift(); play; play = ahead.shift()) {
            gatherings.get(play)?.arrive();
            await runOn(play, host);
            pendingIn.set(play, pendingIn.get(play)! - 1);
            if (pendingIn.get(play) === 0) await checkAcross(play);
          }
        } finally {
          // a pipeline that broke off still comes to the plays after it: no host waits for it forever
          for (const play of ahead) gatherings.get(play)?.arrive();
          working.release();
        }
      })());
    }
    await Promise.all(pipelines.values());
    // (a run refused before any host was changed looks no further)
    if (!refused) warnings.push(...(await leftOutOfRun(remotePlays, options.cluster, () => contextOf(localhostOf(options.cluster)))));
  } finally {
    await sessions.closeAll();
  }
  const local = localPlays.length ? recap.get(LOCALHOST) : undefined;
  const ran = new Set(participating.map((h) => h.name));
  return {
    mode: options.mode,
    results,
    recap: [...recap.values()].filter((r) => ran.has(r.host)),
    ...(local ? { local } : {}),
    ...(refused ? { refused } : {}),
    ...(warnings.length ? { warnings } : {}),
    ms: Date.now() - started,
  };
}

/** The hosts of a play that start it together: resolved once every one has come to it. */
interface Gathering {
  arrive(): void;
  all: Promise<void>;
}

function gathering(members: number): Gathering {
  let left = members;
  let done!: () => void;
  const all = new Promise<void>((resolve) => {
    done = resolve;
  });
  if (left === 0) done();
  return {
    arrive() {
      if (--left === 0) done();
    },
    all,
  };
}

/**
 * The hosts of plays that drain which this run leaves out (--limit, --role) and which are out
 * of service: no turn of this run puts them back, so each is named with the remedy. Read from
 * the control machine, through the hosts the drain reads (the controllers), not the host itself.
 */
async function leftOutOfRun(plays: readonly Play[], cluster: ClusterView, local: () => Promise<EngineHost>): Promise<RunWarning[]> {
  const warnings: RunWarning[] = [];
  for (const play of plays) {
    if (!play.drain) continue;
    for (const node of cluster.members(play.hosts).filter((h) => !cluster.selected.includes(h.name))) {
      if (warnings.some((w) => w.host === node.name)) continue;
      const out = await play.drain.leftOut(await local(), node).catch(() => undefined);
      if (out) warnings.push({ host: node.name, reason: `${out.reason}; this run leaves it out (--limit, --role)`, remedy: out.remedy });
    }
  }
  return warnings;
}

/** Whether a host takes turns in a play (all of it with --serial; its rolling steps when it serves), and whether it serves. */
async function rollsOn(play: Play, ctx: EngineHost, serving: Fact<boolean> | undefined, serial: boolean): Promise<Rolls> {
  const serves = serving ? await ctx.fact(serving).catch(() => true) : true;
  if (serial) return { takes: 'whole play', serves };
  if (!play.steps.some((s) => s.rolling)) return { takes: 'no', serves };
  return { takes: serves ? 'rolling steps' : 'no', serves };
}

/**
 * A check across the play's hosts: only when every one of them (not only the selected) was
 * reached, but for a check that judges what the reached ones still serve (`partial`).
 */
async function verifyAcross(check: ClusterCheck, play: Play, cluster: ClusterView, reached: readonly EngineHost[]): Promise<Verdict[]> {
  const all = [...new Set([...cluster.members(play.hosts), ...reached.map((c) => c.host)].map((h) => h.name))];
  const missing = all.filter((name) => !reached.some((c) => c.name === name));
  if (missing.length && !check.partial) return [{ check: check.title, ok: false, detail: `not every host was checked (${missing.join(', ')}: unreachable or left out by --limit/--role)` }];
  const order = (name: string) => all.indexOf(name);
  const failure = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
  const sorted = [...reached].sort((a, b) => order(a.name) - order(b.name));
  // a probe of the cluster: one host after another until one answers; each such probe, and
  // every host's own facts and probes, all at once (any of them may take seconds)
  const onceProbes = new Map(sorted.flatMap((ctx) => (check.probes?.(ctx) ?? []).filter((p) => p.once).map((p) => [p.key, p] as const)));
  const sharedReads = Promise.all([...onceProbes.values()].map(async (p): Promise<[string, unknown]> => {
    const reasons: string[] = [];
    for (const other of sorted) {
      const value = await p.read(other).catch(failure);
      if (!(value instanceof Error)) return [p.key, value];
      reasons.push(`${other.name}: ${value.message}`);
    }
    return [p.key, new Error(reasons.join('; '))];
  }));
  const ownReads = Promise.all(sorted.map(async (ctx) => {
    const values = new Map<string, unknown>();
    await Promise.all([
      ...check.facts(ctx).map(async (f) => values.set(f.key, await ctx.fact(f).catch(failure))),
      ...(check.probes?.(ctx) ?? []).filter((p) => !p.once).map(async (p) => values.set(p.key, await p.read(ctx).catch(failure))),
    ]);
    return values;
  }));
  const [shared, own] = await Promise.all([sharedReads, ownReads]);
  const facts = sorted.map((ctx, i): HostFacts => {
    const values = new Map([...own[i]!, ...shared]);
    return {
      name: ctx.name,
      get<T>(f: Fact<T> | Probe<T>): T {
        const value = values.get(f.key);
        if (value instanceof Error) throw value;
        return value as T;
      },
    };
  });
  try {
    return check.verify(facts, cluster, missing);
  } catch (err) {
    return [{ check: check.title, ok: false, detail: describe(err) }];
  }
}

/** The hosts a play runs on: the members of its group, or the host it names. */
function inPlay(play: Play, host: ClusterHost): boolean {
  return host.groups.includes(play.hosts) || host.name === play.hosts;
}

function emptyRecap(host: string): HostRecap {
  return { host, ok: 0, changed: 0, pending: 0, failed: 0, skipped: 0, unreachable: 0, ms: 0 };
}
