import type { HostRecap, RunReport } from '../core/results.js';
import type { Paint } from './style.js';

/** Ansible's PLAY RECAP, plus pending (dry runs), the reason of each failed host, and what is wrong on hosts the run left out. */
export function renderRecap(report: RunReport, paint: Paint): string {
  // the control machine has a row when it did (or would do) something, or failed
  const local = report.local && (report.local.changed || report.local.pending || report.local.failed) ? [report.local] : [];
  const rows = [...local, ...report.recap];
  const width = Math.max(...rows.map((r) => r.host.length), 4);
  const lines = ['', paint.bold(`${report.mode === 'diff' ? 'DRY RUN' : 'PLAY'} RECAP ${'*'.repeat(60)}`)];
  for (const r of rows) {
    const name = r.host.padEnd(width);
    const colourOf = r.unreachable || r.failed ? paint.red : r.changed || r.pending ? paint.yellow : paint.green;
    const fields = [
      `ok=${r.ok}`,
      `changed=${r.changed}`,
      ...(report.mode === 'diff' ? [`pending=${r.pending}`] : []),
      `unreachable=${r.unreachable}`,
      `failed=${r.failed}`,
      `skipped=${r.skipped}`,
    ];
    lines.push(`${colourOf(name)} : ${fields.map((f) => f.padEnd(13)).join(' ')} ${paint.dim(`${(r.ms / 1000).toFixed(1)}s`)}`);
  }
  const problems = rows.filter((r) => r.reason);
  if (problems.length) {
    lines.push('');
    for (const r of problems) lines.push(`${paint.red(r.host)}: ${r.reason}`);
  }
  if (report.warnings?.length) {
    lines.push('');
    for (const w of report.warnings) lines.push(`${paint.yellow(`warning: ${w.host}`)}: ${w.reason}. ${w.remedy}`);
  }
  const changed = report.recap.reduce((n, r) => n + r.changed, 0);
  lines.push('', paint.dim(`${report.recap.length} host(s), ${changed} ${report.mode === 'diff' ? 'step(s) with changes pending' : 'step(s) changed'}, ${(report.ms / 1000).toFixed(1)}s`));
  return `${lines.join('\n')}\n`;
}

export function exitCodeOf(report: RunReport): number {
  // refused before any host was changed: like a playbook error found before any host is contacted
  if (report.refused) return 1;
  const recap: readonly HostRecap[] = [...report.recap, ...(report.local ? [report.local] : [])];
  let code = 0;
  if (recap.some((r) => r.failed > 0 || (r.reason && !r.unreachable))) code |= 2;
  if (recap.some((r) => r.unreachable > 0)) code |= 4;
  return code;
}
