import { change } from '../core/change.js';
import type { Operation } from '../core/operation.js';
import { pathState } from '../facts/files.js';
import { shellScript } from '../core/command.js';

/** A directory with this mode and owner (parents created as needed). */
export function directory(path: string, options: { mode?: string; owner?: string } = {}): Operation {
  return {
    title: `directory ${path}`,
    facts: () => [pathState(path)],
    async plan(host) {
      const state = await host.fact(pathState(path));
      if (state.kind !== 'missing' && state.kind !== 'directory') throw new Error(`${path} exists and is not a directory; move it away first`);
      const wantMode = options.mode ? parseInt(options.mode, 8) : undefined;
      const [user, group] = (options.owner ?? '').split(':');
      const drift =
        state.kind === 'missing' ||
        (wantMode !== undefined && state.mode !== wantMode) ||
        (user && state.owner !== user) ||
        (group && state.group !== group);
      if (!drift) return [];
      const script = `mkdir -p -m 0700 "$1"; [ -z "$2" ] || chmod "$2" "$1"; [ -z "$3" ] || chown "$3" "$1"`;
      return [
        change({
          kind: 'directory',
          summary: state.kind === 'missing' ? `create directory ${path}` : `set mode/owner of ${path}`,
          apply: async () => {
            await host.run(`directory ${path}`, { argv: shellScript(script, [path, options.mode ?? '0755', options.owner ?? '']) });
          },
        }),
      ];
    },
  };
}
