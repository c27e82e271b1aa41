import type { ClusterHost, ClusterView } from '../core/context.js';
import type { Fact } from '../core/fact.js';
import { pool } from '../core/limiter.js';
import type { ClusterCheck, HostFacts, Play, Probe } from '../core/operation.js';
import { LOCALHOST, type HostOutcome, type HostRecap, type Mode, type RunEvents, type RunReport, type StepResult, type Verdict } from '../core/results.js';
import { mask } from '../core/secret.js';
import type { OwedHandlers } from '../state/owedHandlers.js';
import type { SecretStore } from '../state/secretStore.js';
import { EngineHost, type Transport } from './engineHost.js';
import { describe, runHostPlay } from './hostPlay.js';
import { localExecutor } from './localExecutor.js';
import { Sessions } from './sessions.js';

export interface RunOptions {
  mode: Mode;
  forks: number;
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
 * Runs plays over hosts: one connection and one lock per host for the whole run, hosts in
 * parallel up to --forks, steps in order on each host, the failure policy across them.
 * apply, diff and check are this same run: check's plays are made of checks, and only
 * apply calls a change's action.
 */
export async function runPlays(plays: readonly Play[], hosts: readonly ClusterHost[], options: RunOptions): Promise<RunReport> {
  const started = Date.now();
  const results: StepResult[] = [];
  const recap = new Map<string, HostRecap>([LOCALHOST, ...hosts.map((h) => h.name)].map((name) => [name, emptyRecap(name)]));
  const outcome = new Map<string, HostOutcome>();
  const contexts = new Map<string, EngineHost>();
  const sessions = new Sessions({
    forks: options.forks,
    connect: options.connect,
    lock: options.mode === 'apply' ? 'exclusive' : options.mode === 'diff' ? 'shared' : 'none',
    lockWaitSeconds: options.lockWaitSeconds,
    onLockWait: (host) => options.events.message?.(host, 'waiting for another st2prov run on this host to finish'),
  });
  let aborted: string | undefined;

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

  const remote = plays.filter((p) => p.hosts !== LOCALHOST);
  sessions.warm(hosts.filter((h) => remote.some((p) => inPlay(p, h))));

  const participated = new Set<string>();
  const failedCount = () => [...outcome.entries()].filter(([h, o]) => h !== LOCALHOST && o !== 'ok').length;

  try {
    for (const play of plays) {
      if (play.when && !play.when(options.cluster)) continue;
      const members = play.hosts === LOCALHOST ? [localhostOf(options.cluster)] : hosts.filter((h) => inPlay(play, h));
      if (members.length === 0) continue;
      members.forEach((h) => participated.add(h.name));
      const blockedBy = play.needs ? hosts.filter((h) => h.groups.includes(play.needs!) && outcome.get(h.name) && outcome.get(h.name) !== 'ok').map((h) => h.name) : [];
      const extraFacts = (ctx: EngineHost): Fact<unknown>[] => (play.cluster ?? []).flatMap((c) => c.facts(ctx));
      const reached: EngineHost[] = [];

      await pool(members, options.forks, async (host) => {
        const r = recap.get(host.name)!;
        const t0 = Date.now();
        const finish = (o: HostOutcome, reason?: string) => {
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
        if (earlier && earlier !== 'ok') return; // failed in an earlier play
        if (aborted) return finish('stopped', `not run: ${aborted}`);
        if (blockedBy.length) return finish('stopped', `not run: needs ${play.needs} ${blockedBy.join(', ')}, which failed`);
        let ctx = contexts.get(host.name);
        if (!ctx) {
          try {
            const executor = host.name === LOCALHOST ? localExecutor : await sessions.connection(host);
            ctx = new EngineHost(host, executor, options.vault, options.cluster);
            contexts.set(host.name, ctx);
          } catch (err) {
            r.unreachable = 1;
            return finish('unreachable', describe(err));
          }
        }
        reached.push(ctx);
        const failure = await runHostPlay(play, ctx, extraFacts(ctx), {
          mode: options.mode,
          tags: options.tags,
          skipTags: options.skipTags,
          owed: options.owed,
          record,
          stepStarted: (step) => options.events.stepStarted?.(host.name, play.name, step),
          aborted: () => aborted,
        });
        if (failure?.outcome === 'unreachable') r.unreachable = 1;
        finish(failure?.outcome ?? 'ok', failure?.reason);
      });

      for (const check of play.cluster ?? []) {
        const t0 = Date.now();
        const verdicts = await verifyAcross(check, play, options.cluster, reached);
        record({ host: 'cluster', play: play.name, step: check.title, status: verdicts.every((v) => v.ok) ? 'ok' : 'failed', changes: [], verdicts, ms: Date.now() - t0 });
      }
    }
  } finally {
    await sessions.closeAll();
  }
  const local = participated.has(LOCALHOST) ? recap.get(LOCALHOST) : undefined;
  return {
    mode: options.mode,
    results,
    recap: [...recap.values()].filter((r) => r.host !== LOCALHOST && participated.has(r.host)),
    ...(local ? { local } : {}),
    ms: Date.now() - started,
  };
}

/** A check across the play's hosts: only when every one of them (not only the selected) was reached. */
async function verifyAcross(check: ClusterCheck, play: Play, cluster: ClusterView, reached: readonly EngineHost[]): Promise<Verdict[]> {
  const all = [...new Set([...cluster.members(play.hosts), ...reached.map((c) => c.host)].map((h) => h.name))];
  const missing = all.filter((name) => !reached.some((c) => c.name === name));
  if (missing.length && !check.partial) return [{ check: check.title, ok: false, detail: `not every host was checked (${missing.join(', ')}: unreachable or left out by --limit/--role)` }];
  const order = (name: string) => all.indexOf(name);
  const failure = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
  // every host read at once: a fact or probe may take seconds (rabbitmqctl boots a VM)
  const facts = await Promise.all([...reached].sort((a, b) => order(a.name) - order(b.name)).map(async (ctx): Promise<HostFacts> => {
    const values = new Map<string, unknown>();
    for (const f of check.facts(ctx)) values.set(f.key, await ctx.fact(f).catch(failure));
    await Promise.all((check.probes?.(ctx) ?? []).map(async (p) => values.set(p.key, await p.read(ctx).catch(failure))));
    return {
      name: ctx.name,
      get<T>(f: Fact<T> | Probe<T>): T {
        const value = values.get(f.key);
        if (value instanceof Error) throw value;
        return value as T;
      },
    };
  }));
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
