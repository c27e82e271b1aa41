#!/usr/bin/env node
// Runs the compiled tests: `node test/run.js [unit|ssh|lab ...]` (default: all three).
//
// Unit tests run first, in one process. The ssh and lab suites then run in lanes side by
// side, one test file at a time per lane: each lane owns a lab slot (ST2PROV_TEST_SLOTS, a
// comma-separated list, default "0,2,3"; one slot, one lane). Three lanes on two cores: much of
// a lab file is waiting (failovers, services starting, clients sampling), not computing. The ssh suite's files all go to
// the first lane (they share the machine's PostgreSQL); lab files go to whichever lane is
// free, the longest first. The labs share one base root and repository, prepared before the
// lanes start. A file's output is printed whole when it ends; any failure fails the run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';

const root = new URL('../dist/test/', import.meta.url).pathname;
const suites = process.argv.slice(2).length ? process.argv.slice(2) : ['unit', 'ssh', 'lab'];
/** lab files that take longest, started first so the lanes end together */
const LONGEST_FIRST = ['tier', 'rolling', 'trust', 'cluster', 'services', 'largePack', 'lab'];

const filesOf = (suite) => {
  const dir = join(root, suite);
  if (!existsSync(dir)) {
    console.error(`test suite "${suite}" not found at ${dir}`);
    process.exit(1);
  }
  // tests mirror the source tree: every *.test.js below the suite's folder whose source is still
  // there (tsc leaves the output of a test file deleted since, which must not run)
  const source = new URL(`./${suite}/`, import.meta.url).pathname;
  return readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.test.js'))
    .filter((f) => existsSync(join(source, f.replace(/\.js$/, '.ts')))).sort().map((f) => join(dir, f));
};
const nodeTest = (files) => [process.execPath, ['--test', '--test-concurrency=1', '--test-reporter=spec', ...files]];

let failed = false;
if (suites.includes('unit')) {
  const [bin, args] = nodeTest(filesOf('unit'));
  failed = spawnSync(bin, args, { stdio: 'inherit' }).status !== 0;
}

const sshFiles = suites.includes('ssh') ? filesOf('ssh') : [];
const rank = (f) => {
  const at = LONGEST_FIRST.indexOf(basename(f, '.test.js'));
  return at < 0 ? LONGEST_FIRST.length : at;
};
const labFiles = suites.includes('lab') ? filesOf('lab').sort((a, b) => rank(a) - rank(b) || a.localeCompare(b)) : [];

if (labFiles.length) {
  const prepared = spawnSync(process.execPath, [join(root, 'lab/cli.js'), 'prepare'], { stdio: 'inherit' });
  if (prepared.status !== 0) {
    console.error('the lab cannot be prepared on this machine (see above): the lab suite cannot run, and that is a failure');
    process.exit(1);
  }
}

const slots = (process.env.ST2PROV_TEST_SLOTS ?? '0,2,3').split(',').map((s) => s.trim()).filter(Boolean);
const children = new Set();
const summary = [];
const queue = [...labFiles];

/** One file in its own `node --test`, in a lane's slot; its output printed whole at the end. */
function runFile(file, slot) {
  const name = file.slice(root.length);
  const t0 = Date.now();
  process.stdout.write(`▷ ${name} (lab slot ${slot}) started\n`);
  return new Promise((resolve) => {
    const [bin, args] = nodeTest([file]);
    const child = spawn(bin, args, { env: { ...process.env, ST2PROV_LAB_SLOT: slot }, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    const out = [];
    child.stdout.on('data', (c) => out.push(c));
    child.stderr.on('data', (c) => out.push(c));
    child.on('close', (code, signal) => {
      children.delete(child);
      const seconds = ((Date.now() - t0) / 1000).toFixed(0);
      const ok = code === 0;
      failed ||= !ok;
      summary.push(`${ok ? 'ok  ' : 'FAIL'} ${name.padEnd(28)} ${seconds.padStart(5)} s  slot ${slot}`);
      process.stdout.write(`\n── ${name} (lab slot ${slot}, ${seconds} s) ${'─'.repeat(20)}\n${Buffer.concat(out).toString()}`);
      if (!ok) process.stdout.write(`✖ ${name} failed (${signal ?? `exit ${code}`})\n`);
      resolve();
    });
  });
}

async function lane(slot, first) {
  for (const file of first) await runFile(file, slot);
  for (let file = queue.shift(); file; file = queue.shift()) await runFile(file, slot);
}

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.once(signal, () => {
    // each file tears its own lab down on the signal
    for (const child of children) child.kill(signal);
    process.exitCode = 1;
  });
}

if (sshFiles.length || labFiles.length) {
  const t0 = Date.now();
  await Promise.all(slots.map((slot, i) => lane(slot, i === 0 ? sshFiles : [])));
  process.stdout.write(`\n${summary.join('\n')}\nssh and lab suites: ${((Date.now() - t0) / 1000).toFixed(0)} s in ${slots.length} lane(s)\n`);
}
process.exit(failed || process.exitCode ? 1 : 0);
