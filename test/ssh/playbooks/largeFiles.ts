import { appendFileSync } from 'node:fs';
import type { Operation, Play } from '../../../src/core/operation.js';
import { OUTPUT_LIMIT } from '../../../src/core/output.js';
import { Secret } from '../../../src/core/secret.js';
import * as ops from '../../../src/ops/index.js';

/**
 * Data larger than st2prov holds: a file above FILE_CONTENT_LIMIT (compared by digest), a
 * secret one, a copy and a packs sync whose source changes between the plan and the send,
 * and a command that prints more than OUTPUT_LIMIT.
 */
const vars = (h: { host: { vars: Readonly<Record<string, unknown>> } }) => h.host.vars as Record<string, string>;

/** An operation whose local file `changed` is changed on the control machine once it is planned, before it is sent. */
function changedAfterPlan(op: Operation, changed: string): Operation {
  return {
    ...op,
    async plan(host) {
      const changes = await op.plan(host);
      appendFileSync(changed, 'changed after the plan\n');
      return changes;
    },
  };
}

export const plays: Play[] = [
  {
    name: 'large files',
    hosts: 'all',
    steps: [
      { name: 'large file', tags: ['large'], run: (h) => ops.file({ path: `${vars(h).test_dir}/large.data`, content: vars(h).large_char!.repeat(Number(vars(h).large_size)), mode: '0644' }) },
      { name: 'large secret', tags: ['secret'], run: (h) => ops.file({ path: `${vars(h).test_dir}/large.secret`, content: new Secret(vars(h).large_char!.repeat(Number(vars(h).large_size))), mode: '0600' }) },
      { name: 'copy', tags: ['copy'], run: (h) => vars(h).change_after_plan === 'yes'
        ? changedAfterPlan(ops.copy(vars(h).copy_source!, { path: `${vars(h).test_dir}/copied.data`, mode: '0644' }), vars(h).copy_source!)
        : ops.copy(vars(h).copy_source!, { path: `${vars(h).test_dir}/copied.data`, mode: '0644' }) },
      { name: 'packs', tags: ['packs'], run: (h) => vars(h).change_after_plan === 'yes'
        ? changedAfterPlan(ops.dirSync({ source: vars(h).packs_src!, dest: `${vars(h).test_dir}/packs` }), `${vars(h).packs_src}/${vars(h).changed_pack_file}`)
        : ops.dirSync({ source: vars(h).packs_src!, dest: `${vars(h).test_dir}/packs` }) },
      { name: 'loud command', tags: ['loud'], run: (h) => vars(h).loud_here === h.name && ops.command({ summary: 'print more than OUTPUT_LIMIT', argv: ['head', '-c', String(OUTPUT_LIMIT + 1), '/dev/zero'] }) },
      { name: 'after the loud command', tags: ['loud'], run: (h) => ops.file({ path: `${vars(h).test_dir}/${h.name}.after`, content: 'ran\n' }) },
    ],
  },
];
