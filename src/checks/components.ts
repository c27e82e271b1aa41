import type { Check } from '../core/operation.js';
import { st2NodeConfig } from '../facts/st2Config.js';
import { httpStatus } from '../probes/http.js';

/** st2's HTTP services and their ports on a blueprint (behind its nginx). */
const HTTP_COMPONENTS: readonly [string, number][] = [['st2auth', 9100], ['st2api', 9101], ['st2stream', 9102]];
const MISTRAL_API: [string, number] = ['mistral-api', 8989];

/** Each HTTP component this blueprint runs (by its st2ctl COMPONENTS) answers on its port. */
export function componentsAnswer(options: { mistral: boolean }): Check {
  return {
    title: 'st2 components answer',
    facts: () => [st2NodeConfig()],
    async verify(host) {
      const { components } = await host.fact(st2NodeConfig());
      const runs = ([name]: [string, number]) => components === undefined || components.includes(name);
      const wanted = [...HTTP_COMPONENTS.filter(runs), ...(options.mistral ? [MISTRAL_API] : [])];
      return Promise.all(wanted.map(async ([name, port]) => {
        const check = `${name} answers on 127.0.0.1:${port}`;
        try {
          const status = await httpStatus(host, '127.0.0.1', port, '/');
          return { check, ok: /^HTTP\/1\.[01] \d{3}/.test(status), detail: status };
        } catch (err) {
          return { check, ok: false, detail: (err as Error).message };
        }
      }));
    },
  };
}
