import { fileURLToPath } from 'node:url';
import type { Play } from '../../../src/core/operation.js';
import * as ops from '../../../src/ops/index.js';

const templatesDir = fileURLToPath(new URL('../../../../test/fixtures/templates', import.meta.url));

/** A template that uses a variable nobody set. */
export const plays: Play[] = [
  { name: 'template error', hosts: 'all', steps: [{ name: 'render', run: (h) => ops.template(`${templatesDir}/undefined-var.ejs`, {}, { path: `${h.host.vars.test_dir}/x.conf` }) }] },
];
