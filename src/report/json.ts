import type { HostRecap, RunReport } from '../core/results.js';
import { masked } from '../core/secret.js';

/** The whole run as one JSON document; secrets masked. The control machine's own steps are under "local". */
export function renderJson(report: RunReport, extra: Record<string, unknown> = {}): string {
  const withSteps = (r: HostRecap) => ({
    ...r,
    steps: report.results
      .filter((s) => s.host === r.host)
      .map((s) => ({ play: s.play, step: s.step, status: s.status, ms: s.ms, ...(s.reason ? { reason: s.reason } : {}), changes: s.changes })),
  });
  const doc = {
    mode: report.mode,
    ms: report.ms,
    ...extra,
    ...(report.refused ? { refused: report.refused } : {}),
    ...(report.warnings ? { warnings: report.warnings } : {}),
    ...(report.local ? { local: withSteps(report.local) } : {}),
    hosts: report.recap.map(withSteps),
  };
  return `${JSON.stringify(masked(doc), null, 2)}\n`;
}
