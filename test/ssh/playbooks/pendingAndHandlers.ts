import type { Play } from '../../../src/core/operation.js';
import * as ops from '../../../src/ops/index.js';

/**
 * A step whose input an earlier step creates (pending in a dry run), a handler notified
 * before a step that can be made to fail (remembered for the next apply), and a slow step
 * that logs its start and end (to prove two applies never interleave).
 */
export const plays: Play[] = [
  {
    name: 'pending and handlers',
    hosts: 'all',
    steps: [
      { name: 'create config', run: (h) => ops.command({ summary: 'create app.ini', argv: ['sh', '-c', 'printf "[main]\\n#level = info\\n" > "$1"', 'sh', `${h.host.vars.test_dir}/app.ini`], creates: `${h.host.vars.test_dir}/app.ini` }) },
      { name: 'edit config', run: (h) => ops.iniKey(`${h.host.vars.test_dir}/app.ini`, 'main', 'level', String(h.host.vars.level ?? 'debug'), { notify: ['restart app'] }) },
      { name: 'may fail', run: (h) => h.host.vars.fail_here === 'yes' ? ops.command({ summary: 'fail on purpose', argv: ['sh', '-c', 'echo failing on purpose >&2; exit 9'] }) : undefined },
      { name: 'slow', tags: ['slow'], run: (h) => ops.command({ summary: 'slow logged work', argv: ['sh', '-c', 'echo "start $2" >> "$1"; sleep 1; echo "end $2" >> "$1"', 'sh', `${h.host.vars.test_dir}/slow.log`, String(h.host.vars.run_id ?? '')] }) },
    ],
    handlers: {
      'restart app': (h) => ops.command({ summary: 'restart app', argv: ['sh', '-c', 'echo restart >> "$1"', 'sh', `${h.host.vars.test_dir}/handler.log`] }),
    },
  },
];
