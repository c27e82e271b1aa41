import { lazy } from '../core/lazy.js';
import type { RunEvents } from '../core/results.js';
import { mask } from '../core/secret.js';

const listr2 = lazy<typeof import('listr2')>('listr2');

/**
 * The listr2 live view on a terminal: a line per host showing the step it is on, ending
 * with its outcome. It only listens to runner events; the work runs elsewhere.
 */
export function liveReporter(hosts: readonly string[]): { events: RunEvents; done: Promise<void>; close(): void } {
  const tasks = new Map<string, { output(text: string): void; title(text: string): void }>();
  const finishers = new Map<string, () => void>();
  const outcomes = new Map<string, string>();
  const buffered = new Map<string, string>();
  let closed = false;
  const list = new (listr2().Listr)(
    hosts.map((host) => ({
      title: host,
      task: (_ctx: unknown, task: { output: string; title: string }) => {
        tasks.set(host, { output: (t) => (task.output = t), title: (t) => (task.title = t) });
        const early = buffered.get(host);
        if (early) task.output = early;
        return new Promise<void>((resolve, reject) => {
          const finish = () => {
            const outcome = outcomes.get(host);
            if (outcome) {
              task.title = `${host}: ${outcome}`;
              reject(new Error(outcome));
            } else resolve();
          };
          if (closed) finish();
          else finishers.set(host, finish);
        });
      },
    })),
    { concurrent: true, exitOnError: false, rendererOptions: { collapseErrors: false } },
  );
  const show = (host: string, text: string) => {
    const t = tasks.get(host);
    if (t) t.output(mask(text));
    else buffered.set(host, mask(text));
  };
  const done = list.run().then(
    () => undefined,
    () => undefined,
  );
  return {
    events: {
      stepStarted: (host, play, step) => show(host, `${play}: ${step}`),
      hostFinished: (host, _play, outcome, reason) => {
        if (outcome !== 'ok') outcomes.set(host, mask(`${outcome}${reason ? ` — ${reason}` : ''}`));
      },
      message: (host, text) => show(host, text),
    },
    done,
    close() {
      closed = true;
      for (const host of hosts) {
        const finish = finishers.get(host);
        if (finish) finish();
      }
    },
  };
}
