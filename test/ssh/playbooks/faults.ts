import type { Play } from '../../../src/core/operation.js';
import * as ops from '../../../src/ops/index.js';

/**
 * Faults on purpose: a big file (to cut while it travels), a step that cuts the host's own
 * SSH connection, a file written through a symlink.
 */
const vars = (h: { host: { vars: Readonly<Record<string, unknown>> } }) => h.host.vars as Record<string, string>;

export const plays: Play[] = [
  {
    name: 'faults',
    hosts: 'all',
    steps: [
      { name: 'big file', tags: ['big'], run: (h) => ops.file({ path: `${vars(h).test_dir}/big.bin`, content: vars(h).big_char!.repeat(Number(vars(h).big_mb) * 1024 * 1024), mode: '0644' }) },
      { name: 'linked config', tags: ['link'], run: (h) => ops.file({ path: `${vars(h).test_dir}/link.conf`, content: `${vars(h).link_content}\n`, mode: '0644' }) },
      // kills the sshd process serving this connection: a reset in the middle of a run
      { name: 'cut my own connection', tags: ['cut'], run: (h) => vars(h).cut_here === h.name && ops.command({
        summary: 'kill this connection’s sshd',
        argv: ['sh', '-c', 'p=$$; while [ "$p" -gt 1 ]; do p=$(awk \'{print $4}\' /proc/$p/stat); case "$(cat /proc/$p/comm)" in sshd*) kill -9 "$p"; exit 0;; esac; done; exit 1'],
      }) },
      { name: 'after the cut', tags: ['cut'], run: (h) => ops.file({ path: `${vars(h).test_dir}/${h.name}.after`, content: 'ran\n' }) },
    ],
  },
];
