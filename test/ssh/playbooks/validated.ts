import type { Play } from '../../../src/core/operation.js';
import * as ops from '../../../src/ops/index.js';

/** A file whose validator accepts only content that says "good". */
export const plays: Play[] = [
  {
    name: 'validated file',
    hosts: 'all',
    steps: [{ name: 'validated', run: (h) => ops.file({ path: `${h.host.vars.test_dir}/app.conf`, content: `${h.host.vars.content}\n`, mode: '0644', validate: ['sh', '-c', 'grep -q good "$1" || { echo "not good: $(cat "$1")"; exit 1; }', 'sh', '%s'] }) }],
  },
];
