/** The benchmark's arithmetic: medians, a least-squares line, and st2prov's timing lines read back. */

export function median(values: readonly number[]): number {
  if (!values.length) return NaN;
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

/** The least-squares line y = intercept + slope·x through the points. */
export function fit(points: readonly (readonly [number, number])[]): { slope: number; intercept: number } {
  const n = points.length;
  const mx = points.reduce((a, p) => a + p[0], 0) / n;
  const my = points.reduce((a, p) => a + p[1], 0) / n;
  const sxx = points.reduce((a, p) => a + (p[0] - mx) ** 2, 0);
  const slope = sxx ? points.reduce((a, p) => a + (p[0] - mx) * (p[1] - my), 0) / sxx : 0;
  return { slope, intercept: my - slope * mx };
}

/** What ST2PROV_TIMINGS=1 wrote: the start, and per host each phase's durations (ms). */
export interface Timings {
  start?: number;
  hosts: Map<string, Map<string, number[]>>;
}

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
