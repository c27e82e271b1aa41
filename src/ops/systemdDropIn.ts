import { change } from '../core/change.js';
import type { Operation } from '../core/operation.js';
import { fileState } from '../facts/files.js';
import { osFacts } from '../facts/os.js';
import { fileChanges } from './file.js';

export interface DropInSpec {
  /** the unit it amends, with its suffix: `st2actionrunner@.service` */
  unit: string;
  /** the drop-in's file name, ending in .conf */
  name: string;
  /** its sections and settings, e.g. "[Service]\nTimeoutStopSec=330\n" */
  content: string;
  /** handlers to notify (a restart, when the setting only applies to a new process) */
  notify?: string[];
}

/**
 * A drop-in under /etc/systemd/system/UNIT.d/: settings added to a packaged unit without
 * editing it, so package upgrades keep them. systemd re-reads units (daemon-reload) right
 * after it changes. Hosts without systemd have nothing to amend: no change.
 */
export function systemdDropIn(spec: DropInSpec): Operation {
  const dir = `/etc/systemd/system/${spec.unit}.d`;
  const path = `${dir}/${spec.name}`;
  return {
    title: `systemd drop-in ${path}`,
    facts: () => [osFacts(), fileState(path)],
    async plan(host) {
      if ((await host.fact(osFacts())).init !== 'systemd') return [];
      const state = await host.fact(fileState(path));
      return fileChanges(host, { path, content: spec.content, mode: '0644', owner: 'root:root', notify: spec.notify ?? [] }, state, 'systemd').map((c) =>
        change({
          kind: c.kind,
          summary: c.summary,
          ...(c.diff !== undefined ? { diff: c.diff } : {}),
          notify: c.notify,
          apply: async () => {
            if (!state.exists && !state.parentExists) await host.run(`creating ${dir}`, { argv: ['mkdir', '-p', '-m', '0755', dir] });
            await c.apply();
            await host.run('systemctl daemon-reload', { argv: ['systemctl', 'daemon-reload'] });
          },
        }),
      );
    },
  };
}
