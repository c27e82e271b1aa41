import type { StepResult } from '../core/results.js';
import type { RunEvents } from '../core/results.js';
import { mask } from '../core/secret.js';
import type { Paint } from './style.js';

/** Plain progress: a line per step that changed, failed or waits, on stderr (all steps with -v). */
export function lineReporter(options: { err: NodeJS.WritableStream; paint: Paint; verbose: boolean }): RunEvents {
  const { err, paint } = options;
  const say = (text: string) => err.write(`${mask(text)}\n`);
  return {
    stepFinished(r: StepResult) {
      if (r.status === 'ok' && !options.verbose) return;
      const mark = { ok: paint.green('ok'), changed: paint.yellow('changed'), pending: paint.yellow('pending'), failed: paint.red('failed'), skipped: paint.dim('skipped'), unreachable: paint.red('unreachable') }[r.status];
      say(`[${r.host}] ${r.step}: ${mark}${r.reason ? ` — ${r.reason}` : ''}`);
      for (const c of r.changes) say(`    ${c.summary}`);
    },
    hostFinished(host, play, outcome, reason) {
      if (outcome !== 'ok') say(`[${host}] ${play}: ${paint.red(outcome)}${reason ? ` — ${reason}` : ''}`);
      else if (options.verbose) say(`[${host}] ${play}: done`);
    },
    message(host, text) {
      say(`[${host}] ${text}`);
    },
  };
}
