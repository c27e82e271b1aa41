/**
 * Where a run's time goes, host by host: with ST2PROV_TIMINGS=1 in the environment, st2prov
 * writes on stderr, as it exits, how long it took to start, and each host's connection (SSH
 * handshake and login), lock and fact probes (each a round trip: the probe script runs
 * remotely). The benchmark reads these lines; nothing else depends on them.
 */
const enabled = Boolean(process.env.ST2PROV_TIMINGS);
const perHost = new Map<string, Map<string, number[]>>();
let firstContact: number | undefined;

export async function timed<T>(host: string, phase: 'connect' | 'lock' | 'probe', work: () => Promise<T>): Promise<T> {
  if (!enabled) return work();
  const t0 = performance.now();
  if (phase === 'connect') firstContact ??= t0;
  try {
    return await work();
  } finally {
    const phases = perHost.get(host) ?? perHost.set(host, new Map()).get(host)!;
    phases.set(phase, [...(phases.get(phase) ?? []), performance.now() - t0]);
  }
}

/** What ST2PROV_TIMINGS=1 wrote, read back (the benchmark's reader): the start, and per host each phase's durations (ms). */
export interface Timings {
  start?: number;
  hosts: Map<string, Map<string, number[]>>;
}

/** The timing lines in a run's stderr (other lines are left alone); the inverse of timingLines. */
export function parseTimings(stderr: string): Timings {
  const t: Timings = { hosts: new Map() };
  for (const line of stderr.split('\n')) {
    const start = /^timings: start (\d+) ms$/.exec(line);
    if (start) {
      t.start = Number(start[1]);
      continue;
    }
    const host = /^timings: (\S+) (.*)$/.exec(line);
    if (!host) continue;
    const phases = new Map<string, number[]>();
    for (const m of host[2]!.matchAll(/(\w+) ([\d,]+) ms/g)) phases.set(m[1]!, m[2]!.split(',').map(Number));
    if (phases.size) t.hosts.set(host[1]!, phases);
  }
  return t;
}

/** The lines written at exit (see formatTimings). */
export function timingLines(): string[] {
  return formatTimings({ ...(firstContact === undefined ? {} : { start: firstContact }), hosts: perHost });
}

/** `timings: start 312 ms` and one `timings: HOST phase ms[,ms...] ...` per host; parseTimings reads them back. */
export function formatTimings(t: Timings): string[] {
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(',');
  return [
    ...(t.start === undefined ? [] : [`timings: start ${t.start.toFixed(0)} ms`]),
    ...[...t.hosts].map(([host, phases]) => `timings: ${host} ${[...phases].map(([phase, xs]) => `${phase} ${ms(xs)} ms`).join(' ')}`),
  ];
}

if (enabled) process.on('exit', () => process.stderr.write(timingLines().map((l) => `${l}\n`).join('')));
