import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_INIT, PREFIX_LENGTH, REPO_URL, SUBNET } from '../test/lab/config.js';
import { labDown, labUp, type Lab } from '../test/lab/lab.js';

/**
 * `npm run bench`: st2prov against Ansible (Debian's, with pipelining) on lab hosts of the
 * same size, each tool on its own fresh hosts, blocks alternated: first apply, no-op apply,
 * dry run; then a 5,000-file packs sync. Writes bench/RESULTS.md and bench/results.json.
 * Not a test: CI does not run it. Options: --sizes 2,20  --repeats 3
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const sizes = option('sizes', '2,20').split(',').map(Number);
const repeats = Number(option('repeats', '3'));
const VERSION = ['-e', 'st2_version=2.10.4'];

type Tool = 'st2prov' | 'ansible';
interface Sample { tool: Tool; size: number; run: string; seconds: number; peakKb?: number; ok: boolean }
const samples: Sample[] = [];

function log(text: string): void {
  process.stderr.write(`bench: ${text}\n`);
}

function ensureTools(): void {
  for (const [bin, pkg] of [['ansible-playbook', 'ansible'], ['/usr/bin/time', 'time']] as const) {
    if (spawnSync('sh', ['-c', `command -v ${bin}`]).status !== 0) {
      log(`installing ${pkg}`);
      spawnSync('apt-get', ['install', '-y', '-q', pkg], { stdio: 'inherit', env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    }
  }
}

/** Runs a command under /usr/bin/time; returns wall seconds and peak resident memory. */
function timed(cmd: string[], env: NodeJS.ProcessEnv = {}, cwd = root): { seconds: number; peakKb: number; ok: boolean; output: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %e %M', ...cmd], { cwd, env: { ...process.env, CI: 'true', ...env }, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const m = /@@time ([\d.]+) (\d+)/.exec(r.stderr);
  return { seconds: Number(m?.[1] ?? NaN), peakKb: Number(m?.[2] ?? NaN), ok: r.status === 0, output: r.stdout + r.stderr };
}

function st2prov(lab: Lab, command: string, ...extra: string[]) {
  return timed([process.execPath, join(root, 'bin/st2prov.js'), command, lab.inventory, ...VERSION, ...extra]);
}

/** The material the Ansible playbook copies: made once per block, as st2prov makes its own. */
function ansibleVars(lab: Lab): string {
  const dir = mkdtempSync(join(tmpdir(), 'st2prov-bench-'));
  spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '30', '-subj', '/CN=st2', '-keyout', join(dir, 'st2.key'), '-out', join(dir, 'st2.crt')], { stdio: 'ignore' });
  spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '4096', '-N', '', '-f', join(dir, 'stanley_rsa')]);
  writeFileSync(join(dir, 'datastore_key.json'), '{"aesKeyString": "bench", "mode": "CBC", "size": 256}');
  writeFileSync(join(dir, 'htpasswd'), `st2admin:${spawnSync('openssl', ['passwd', '-apr1', 'bench-password'], { encoding: 'utf8' }).stdout.trim()}\n`);
  const vars = {
    mistral_db_password: 'bench-mistral-pw', rabbitmq_password: 'bench-rabbit-pw', redis_password: 'bench-redis-pw',
    pg_hba_network: `${SUBNET}/${PREFIX_LENGTH}`, bench_material: dir, st2_repo: `${REPO_URL}/stackstorm`, st2_repo_key: lab.repoKeyring,
  };
  writeFileSync(join(dir, 'vars.json'), JSON.stringify(vars));
  return join(dir, 'vars.json');
}

function ansible(lab: Lab, varsFile: string, ...extra: string[]) {
  return timed(['ansible-playbook', '-i', lab.inventory, 'site.yml', '-e', `@${varsFile}`, ...extra], { ANSIBLE_PIPELINING: '1', ANSIBLE_CONFIG: join(root, 'bench/ansible/ansible.cfg') }, join(root, 'bench/ansible'));
}

async function block(tool: Tool, size: number): Promise<void> {
  const lab = await labUp(size);
  try {
    const record = (run: string, r: { seconds: number; peakKb: number; ok: boolean; output: string }) => {
      samples.push({ tool, size, run, seconds: r.seconds, ...(tool === 'st2prov' ? { peakKb: r.peakKb } : {}), ok: r.ok });
      log(`${tool} 1+${size} ${run}: ${r.seconds.toFixed(2)} s${r.ok ? '' : ' (FAILED)'}`);
      if (!r.ok) log(r.output.split('\n').slice(-15).join('\n'));
    };
    if (tool === 'st2prov') {
      record('first apply', st2prov(lab, 'apply'));
      record('no-op apply', st2prov(lab, 'apply'));
      record('diff', st2prov(lab, 'diff'));
    } else {
      const vars = ansibleVars(lab);
      record('first apply', ansible(lab, vars));
      record('no-op apply', ansible(lab, vars));
      record('diff', ansible(lab, vars, '--check', '--diff'));
      rmSync(dirname(vars), { recursive: true, force: true });
    }
  } finally {
    labDown();
  }
}

async function packsBench(): Promise<void> {
  const lab = await labUp(1);
  const packs = mkdtempSync(join(tmpdir(), 'st2prov-bench-packs-'));
  try {
    for (let p = 0; p < 50; p++) {
      for (let a = 0; a < 100; a++) {
        const dir = join(packs, `pack${p}`, 'actions');
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, `action${a}.yaml`), `name: action${a}\npack: pack${p}\nrunner_type: local-shell-cmd\nparameters:\n  cmd:\n    default: echo ${p}-${a}\n`);
      }
    }
    const sync = () => timed([process.execPath, join(root, 'bin/st2prov.js'), 'apply', lab.inventory, '--playbook', join(root, 'dist/bench/playbooks/packs.js'), '-e', `bench_packs=${packs}`]);
    const first = sync();
    log(`packs first sync of 5000 files to 2 hosts: ${first.seconds} s`);
    samples.push({ tool: 'st2prov', size: 1, run: 'packs: first sync (5,000 files)', seconds: first.seconds, ok: first.ok });
    for (let i = 0; i < repeats; i++) {
      const noop = sync();
      samples.push({ tool: 'st2prov', size: 1, run: 'packs: no-op (5,000 files)', seconds: noop.seconds, ok: noop.ok });
      writeFileSync(join(packs, 'pack7/actions/action42.yaml'), `name: action42\nchanged: ${i}\n`);
      const one = sync();
      samples.push({ tool: 'st2prov', size: 1, run: 'packs: one file changed', seconds: one.seconds, ok: one.ok });
      log(`packs no-op ${noop.seconds} s, one changed ${one.seconds} s`);
    }
  } finally {
    rmSync(packs, { recursive: true, force: true });
    labDown();
  }
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

function report(): string {
  const version = (cmd: string[]) => spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' }).stdout.split('\n')[0]!.trim();
  const lines = [
    '# st2prov benchmark',
    '',
    `Measured ${new Date().toISOString().slice(0, 16)}Z by \`npm run bench -- --sizes ${sizes.join(',')} --repeats ${repeats}\` on ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB.`,
    `st2prov ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version} on Node ${process.version}; ${version(['ansible', '--version'])} (Debian's), pipelining on, forks 25.`,
    `Each tool on its own fresh lab hosts (the lab of test/lab, hosts booting ${DEFAULT_INIT === 'systemd' ? 'systemd as PID 1 (systemd-nspawn)' : 'tini with sysvinit scripts'}), blocks alternated; the same steps (bench/ansible/site.yml mirrors playbooks/); StackStorm 2.10.4 layout.`,
    'The machine was shared with other work while measuring: compare the two tools within one run, not runs with each other.',
    '',
    '| run | hosts | st2prov median (min–max) | Ansible median (min–max) | Ansible ÷ st2prov |',
    '|---|---|---|---|---|',
  ];
  const cell = (xs: number[]) => (xs.length ? `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}, n=${xs.length})` : '—');
  for (const size of sizes) {
    for (const run of ['first apply', 'no-op apply', 'diff']) {
      const s = samples.filter((x) => x.tool === 'st2prov' && x.size === size && x.run === run && x.ok).map((x) => x.seconds);
      const a = samples.filter((x) => x.tool === 'ansible' && x.size === size && x.run === run && x.ok).map((x) => x.seconds);
      const ratio = s.length && a.length ? `${(median(a) / median(s)).toFixed(1)}×` : '—';
      lines.push(`| ${run === 'diff' ? 'diff (Ansible: --check --diff)' : run} | 1+${size} | ${cell(s)} | ${cell(a)} | ${ratio} |`);
    }
  }
  for (const run of ['packs: first sync (5,000 files)', 'packs: no-op (5,000 files)', 'packs: one file changed']) {
    const s = samples.filter((x) => x.run === run && x.ok).map((x) => x.seconds);
    if (s.length) lines.push(`| ${run} | 1+1 | ${cell(s)} | — | — |`);
  }
  const peaks = samples.filter((x) => x.peakKb && x.size === Math.max(...sizes)).map((x) => x.peakKb!);
  if (peaks.length) lines.push('', `st2prov peak resident memory at 1+${Math.max(...sizes)}: ${(Math.max(...peaks) / 1024).toFixed(0)} MB (largest of its runs).`);
  const failed = samples.filter((x) => !x.ok);
  if (failed.length) lines.push('', `Failed runs (left out of the table): ${failed.map((f) => `${f.tool} 1+${f.size} ${f.run}`).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (it builds the lab)');
ensureTools();
for (const size of sizes) {
  for (let r = 0; r < repeats; r++) {
    const order: Tool[] = r % 2 === 0 ? ['st2prov', 'ansible'] : ['ansible', 'st2prov'];
    for (const tool of order) await block(tool, size);
  }
}
await packsBench();
const text = report();
writeFileSync(join(root, 'bench/RESULTS.md'), text);
writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify({ sizes, repeats, samples }, null, 2)}\n`);
process.stdout.write(text);
