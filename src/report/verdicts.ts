import type { RunReport } from '../core/results.js';
import { masked } from '../core/secret.js';
import type { Paint } from './style.js';

export interface CheckLine {
  host: string;
  check: string;
  ok: boolean;
  detail: string;
}

/**
 * Every verdict of a check run, a host that could not be reached as a failed verdict of its
 * own; by host in inventory order, the checks across hosts ("cluster") last.
 */
export function checkLines(report: RunReport, hostOrder: readonly string[]): CheckLine[] {
  const lines: CheckLine[] = [];
  for (const r of report.recap) {
    if (r.unreachable) lines.push({ host: r.host, check: 'reachable over SSH', ok: false, detail: r.reason ?? '' });
  }
  for (const s of report.results) {
    for (const v of s.verdicts ?? []) lines.push({ host: s.host, check: v.check, ok: v.ok, detail: v.detail ?? '' });
    if (!s.verdicts && s.status === 'failed') lines.push({ host: s.host, check: s.step, ok: false, detail: s.reason ?? '' });
  }
  const order = (name: string) => (name === 'cluster' ? Infinity : hostOrder.indexOf(name));
  return lines.sort((a, b) => order(a.host) - order(b.host));
}

/** One line per verdict and a count; details shown for failures and the HA rules' findings. */
export function renderVerdicts(lines: readonly CheckLine[], paint: Paint): string {
  const width = Math.max(...lines.map((r) => r.host.length), 4);
  const out = lines.map((r) => `${r.ok ? paint.green('ok  ') : paint.red('FAIL')} ${r.host.padEnd(width)}  ${r.check}${r.detail && (!r.ok || r.host === 'cluster') ? ` — ${r.detail}` : ''}`);
  const failed = lines.filter((r) => !r.ok).length;
  out.push('', `${lines.length - failed}/${lines.length} checks hold${failed ? `; ${failed} fail` : ''}`);
  return `${out.join('\n')}\n`;
}

export function renderCheckJson(lines: readonly CheckLine[], report: RunReport, extra: Record<string, unknown>): string {
  return `${JSON.stringify(masked({ mode: 'check', ok: lines.every((l) => l.ok), ms: report.ms, ...extra, results: lines, hosts: report.recap }), null, 2)}\n`;
}

/** check's exit code: 4 when a host was unreachable, 2 when a check of a reached host (or across hosts) failed. */
export function checkExitCode(lines: readonly CheckLine[], report: RunReport): number {
  const unreachable = new Set(report.recap.filter((r) => r.unreachable).map((r) => r.host));
  return (unreachable.size ? 4 : 0) | (lines.some((l) => !l.ok && !unreachable.has(l.host)) ? 2 : 0);
}
