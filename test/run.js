#!/usr/bin/env node
// Runs the compiled tests with node's test runner: `node test/run.js [unit|ssh|lab ...]`.
// Suites run one file at a time: the ssh and lab suites share one sshd and one lab.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('../dist/test/', import.meta.url).pathname;
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'ssh', 'lab'];
const files = [];
for (const suite of suites) {
  const dir = join(root, suite);
  if (!existsSync(dir)) {
    console.error(`test suite "${suite}" not found at ${dir}`);
    process.exit(1);
  }
  // tests mirror the source tree: every *.test.js below the suite's folder
  for (const f of readdirSync(dir, { recursive: true }).sort()) if (String(f).endsWith('.test.js')) files.push(join(dir, String(f)));
}
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files], { stdio: 'inherit' });
process.exit(result.status ?? 1);
