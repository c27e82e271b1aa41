import { change } from '../core/change.js';
import type { Operation } from '../core/operation.js';
import { pathState } from '../facts/files.js';

/** No file (or symlink) at this path. */
export function absent(path: string, options: { notify?: string[] } = {}): Operation {
  return {
    title: `absent ${path}`,
    facts: () => [pathState(path)],
    async plan(host) {
      const state = await host.fact(pathState(path));
      if (state.kind === 'missing') return [];
      if (state.kind === 'directory') throw new Error(`${path} is a directory; st2prov removes only files here`);
      return [change({ kind: 'file', summary: `remove ${path}`, ...(options.notify ? { notify: options.notify } : {}), apply: async () => {
        await host.run(`removing ${path}`, { argv: ['rm', '-f', '--', path] });
      } })];
    },
  };
}
