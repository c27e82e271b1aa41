import type { Paint } from './style.js';

export const DIFF_LINE_CAP = 200;

/** A unified diff for the terminal: coloured when asked, cut after a cap with a count of the rest. */
export function renderDiff(diff: string, paint: Paint, cap = DIFF_LINE_CAP): string {
  const lines = diff.replace(/\n$/, '').split('\n');
  const shown = lines.slice(0, cap).map((l) => {
    if (l.startsWith('+++') || l.startsWith('---')) return paint.bold(l);
    if (l.startsWith('+')) return paint.green(l);
    if (l.startsWith('-')) return paint.red(l);
    if (l.startsWith('@@')) return paint.cyan(l);
    return l;
  });
  if (lines.length > cap) {
    const added = lines.slice(cap).filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
    const removed = lines.slice(cap).filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
    shown.push(paint.dim(`… ${lines.length - cap} more diff lines (+${added} −${removed}); --json has all of it`));
  }
  return shown.join('\n');
}
