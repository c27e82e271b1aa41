import { spawn } from 'node:child_process';
import { request } from 'node:https';
import type { Lab } from '../lab/lab.js';

/**
 * What clients and the cluster's singletons saw during a run: a request through the load
 * balancer every 50 ms, and each blueprint's singleton units sampled every 100 ms. Both
 * loops are bounded in time and stop by themselves; traffic goes to lab addresses only.
 */

export interface Answer {
  at: number;
  ok: boolean;
  status?: number;
  host?: string;
  error?: string;
}

/** Requests GET https://ADDRESS/api/v1/actions every `everyMs`, each on a new connection, until stopped (or `boundMs`). */
export function clientLoop(address: string, everyMs = 50, boundMs = 20 * 60_000): { stop(): Promise<Answer[]> } {
  const answers: Answer[] = [];
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  const one = () => {
    const at = Date.now();
    const p = new Promise<void>((resolve) => {
      const req = request({ host: address, port: 443, path: '/api/v1/actions', method: 'GET', rejectUnauthorized: false, agent: false, timeout: 15_000 }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          let host: string | undefined;
          try {
            host = (JSON.parse(body) as { host?: string }).host;
          } catch {
            host = undefined;
          }
          const ok = res.statusCode === 200 && host !== undefined;
          answers.push({ at, ok, status: res.statusCode ?? 0, ...(host ? { host } : {}), ...(ok ? {} : { error: body.slice(0, 200) }) });
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timed out after 15 s')));
      req.on('error', (err) => {
        answers.push({ at, ok: false, error: err.message });
        resolve();
      });
      req.end();
    });
    inFlight.add(p);
    void p.then(() => inFlight.delete(p));
  };
  const timer = setInterval(() => {
    if (Date.now() - started > boundMs) clearInterval(timer);
    else one();
  }, everyMs);
  return {
    async stop() {
      clearInterval(timer);
      await Promise.all([...inFlight]);
      return answers.sort((a, b) => a.at - b.at);
    },
  };
}

export interface Sample {
  at: number;
  host: string;
  /** unit → running (active, reloading or deactivating: its process is there) */
  running: Record<string, boolean>;
}

/*
 * One python loop per host (no process started per sample: a fork of systemctl ten times a
 * second on every host would load the machine it measures): every 100 ms, which of the units'
 * daemons have a process (the lab daemon's command line names its component). A process that
 * is stopping still counts as running.
 */
const SAMPLER = `import os, sys, time
units, end = sys.argv[2:], time.time() + float(sys.argv[1])
while time.time() < end:
    seen = set()
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cmd = open(f"/proc/{pid}/cmdline", "rb").read().split(b"\\0")
        except OSError:
            continue
        if len(cmd) > 2 and cmd[1].endswith(b"/st2-lab-daemon"):
            seen.add(cmd[2].decode())
    print(time.time_ns(), " ".join("active" if u in seen else "inactive" for u in units), flush=True)
    time.sleep(0.1)
`;

/** Samples on each host, every 100 ms, whether each unit's daemon runs, until stopped (or `boundSeconds`). */
export function unitSampler(lab: Lab, hosts: { name: string; address: string }[], units: string[], boundSeconds = 1200): { stop(): Promise<Sample[]> } {
  const samples: Sample[] = [];
  const script = `python3 -c '${SAMPLER.replace(/'/g, `'\\''`)}' ${boundSeconds} ${units.join(' ')}`;
  const children = hosts.map((h) => {
    const child = spawn('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${lab.knownHosts}`, '-i', lab.clientKey, `root@${h.address}`, script], { stdio: ['ignore', 'pipe', 'ignore'] });
    let rest = '';
    child.stdout.on('data', (c: Buffer) => {
      rest += c.toString();
      const lines = rest.split('\n');
      rest = lines.pop()!;
      for (const line of lines) {
        const [ns, ...states] = line.trim().split(/\s+/);
        if (!ns || !/^\d+$/.test(ns) || states.length !== units.length) continue;
        samples.push({ at: Number(BigInt(ns) / 1_000_000n), host: h.name, running: Object.fromEntries(units.map((u, i) => [u, ['active', 'reloading', 'deactivating'].includes(states[i]!)])) });
      }
    });
    return { child, closed: new Promise<void>((resolve) => child.on('close', () => resolve())) };
  });
  return {
    async stop() {
      for (const c of children) c.child.kill('SIGTERM');
      await Promise.all(children.map((c) => c.closed));
      return samples.sort((a, b) => a.at - b.at);
    },
  };
}

export interface SingletonReport {
  /** ticks (100 ms) when two or more hosts surely ran the unit at once */
  doubles: { at: number; hosts: string[] }[];
  /** stretches when no host surely ran it, in ms */
  gaps: { from: number; ms: number }[];
}

/**
 * Exactly-one over time, from samples taken every 100 ms on each host. A double needs two
 * hosts that surely ran the unit at once: their samples just before and just after the tick
 * both say so (a stop on one host and a start on another between two samples is no double).
 * A gap is a stretch of ticks where every host's latest sample says it did not run.
 */
export function exactlyOne(samples: Sample[], unit: string, from: number, to: number): SingletonReport {
  const byHost = new Map<string, Sample[]>();
  for (const s of samples) byHost.set(s.host, [...(byHost.get(s.host) ?? []), s]);
  const doubles: SingletonReport['doubles'] = [];
  const gaps: SingletonReport['gaps'] = [];
  let gapStart: number | undefined;
  // only while every host is sampled (an ssh loop takes a moment to start and to stop)
  const lists = [...byHost.values()];
  const start = Math.max(from, ...lists.map((l) => l[0]!.at));
  const end = Math.min(to, ...lists.map((l) => l[l.length - 1]!.at));
  for (let t = start; t <= end; t += 100) {
    const sure: string[] = [];
    let seen = 0;
    for (const [host, list] of byHost) {
      const before = [...list].reverse().find((s) => s.at <= t);
      const after = list.find((s) => s.at >= t);
      if (before?.running[unit]) seen++;
      if (before && after && before.running[unit] && after.running[unit]) sure.push(host);
    }
    if (sure.length >= 2) doubles.push({ at: t, hosts: sure });
    if (seen === 0) gapStart ??= t;
    else if (gapStart !== undefined) {
      gaps.push({ from: gapStart, ms: t - gapStart });
      gapStart = undefined;
    }
  }
  if (gapStart !== undefined) gaps.push({ from: gapStart, ms: end - gapStart });
  return { doubles, gaps };
}
