import type { Play } from '../../../src/core/operation.js';
import * as ops from '../../../src/ops/index.js';

/** A root-owned file and a secret, written by a user that becomes root through sudo. */
export const plays: Play[] = [
  {
    name: 'become',
    hosts: 'all',
    steps: [
      { name: 'root file', run: (h) => ops.file({ path: `${h.host.vars.test_dir}/${h.name}.conf`, content: `secret=${h.secret('app_password').reveal()}\n`, mode: '0600', owner: 'root:root' }) },
      { name: 'whoami', run: (h) => ops.command({ summary: 'record the effective user', argv: ['sh', '-c', 'id -un > "$1"', 'sh', `${h.host.vars.test_dir}/${h.name}.whoami`], creates: `${h.host.vars.test_dir}/${h.name}.whoami` }) },
    ],
  },
];
