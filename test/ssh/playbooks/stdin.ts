import type { Play } from '../../../src/core/operation.js';
import * as ops from '../../../src/ops/index.js';

/** What a command reads on stdin, and a file written, as the become user: byte for byte what st2prov sent. */
export const STDIN_TEXT = 'first line of the command\'s own input\nsecond: a secret it reads\n';
export const FILE_TEXT = 'written through sudo\n';

const dir = (h: { host: { vars: Readonly<Record<string, unknown>> } }) => String(h.host.vars.test_dir);

export const plays: Play[] = [
  {
    name: 'stdin',
    hosts: 'all',
    steps: [
      { name: 'stdin read by a script', run: (h) => ops.command({ summary: 'copy stdin to a file', argv: ['sh', '-c', 'cat > "$1"', 'sh', `${dir(h)}/${h.name}.stdin`], stdin: STDIN_TEXT, creates: `${dir(h)}/${h.name}.stdin` }) },
      { name: 'a file written', run: (h) => ops.file({ path: `${dir(h)}/${h.name}.written`, content: FILE_TEXT, mode: '0644' }) },
      { name: 'whoami', run: (h) => ops.command({ summary: 'record the effective user', argv: ['sh', '-c', 'id -un > "$1"', 'sh', `${dir(h)}/${h.name}.whoami`], creates: `${dir(h)}/${h.name}.whoami` }) },
    ],
  },
];
