import type { StepResult } from '../core/results.js';
import { mask } from '../core/secret.js';
import { renderDiff } from './diffText.js';
import type { Paint } from './style.js';

/** The changes of a run grouped by host (in the order given, then as they came), with their diffs: a dry run's data on stdout. */
export function renderChanges(results: readonly StepResult[], paint: Paint, hostOrder: readonly string[] = []): string {
  // hosts in the run's order (inventory order: the order of rolling turns), whatever finished first
  const byHost = new Map<string, StepResult[]>(hostOrder.map((h) => [h, []]));
  for (const r of results) {
    if (r.changes.length === 0 && r.status !== 'pending') continue;
    byHost.set(r.host, [...(byHost.get(r.host) ?? []), r]);
  }
  const out: string[] = [];
  for (const [host, steps] of byHost) {
    if (steps.length === 0) continue;
    out.push(paint.bold(`== ${host} ==`));
    for (const r of steps) {
      out.push(r.status === 'pending' ? `${r.step}: ${paint.yellow(r.reason ?? 'pending')}` : `${r.step}:`);
      for (const c of r.changes) {
        out.push(`  ${paint.yellow('~')} ${c.summary}`);
        if (c.diff) out.push(renderDiff(c.diff, paint).replace(/^/gm, '    '));
      }
    }
    out.push('');
  }
  return mask(out.join('\n'));
}
