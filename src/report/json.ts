import type { RunReport } from '../engine/runner.js';
import { masked } from '../secrets.js';

/** The whole run as one JSON document; secrets masked. */
export function renderJson(report: RunReport, extra: Record<string, unknown> = {}): string {
  const doc = {
    mode: report.mode,
    ms: report.ms,
    ...extra,
    hosts: report.recap.map((r) => ({
      ...r,
      steps: report.results
        .filter((s) => s.host === r.host)
        .map((s) => ({ play: s.play, step: s.step, status: s.status, ms: s.ms, ...(s.reason ? { reason: s.reason } : {}), changes: s.changes })),
    })),
  };
  return `${JSON.stringify(masked(doc), null, 2)}\n`;
}
