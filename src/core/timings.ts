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

/** The lines written at exit: `timings: start 312 ms` and one `timings: HOST phase ms[,ms...] ...` per host. */
export function timingLines(): string[] {
  const ms = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(',');
  return [
    ...(firstContact === undefined ? [] : [`timings: start ${firstContact.toFixed(0)} ms`]),
    ...[...perHost].map(([host, phases]) => `timings: ${host} ${[...phases].map(([phase, xs]) => `${phase} ${ms(xs)} ms`).join(' ')}`),
  ];
}

if (enabled) process.on('exit', () => process.stderr.write(timingLines().map((l) => `${l}\n`).join('')));
