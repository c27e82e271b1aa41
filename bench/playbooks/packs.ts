import type { Play } from '../../src/core/operation.js';
import * as ops from '../../src/ops/index.js';

/** The packs step alone, on every host: the benchmark's 5,000-file sync. */
export const plays: Play[] = [
  {
    name: 'packs',
    hosts: 'all',
    steps: [{ name: 'packs synced', run: (h) => ops.dirSync({ source: String(h.host.vars.bench_packs), dest: '/opt/st2prov-bench/packs', delete: true }) }],
  },
];
