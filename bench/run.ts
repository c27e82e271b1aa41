import { spawnSync } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_INIT, PREFIX_LENGTH, REPO_URL, SUBNET } from '../test/lab/config.js';
import { labCpuSeconds } from '../test/lab/cgroups.js';
import { labDown, labUp, type Lab } from '../test/lab/lab.js';
import { lineChart } from './chart.js';
import { parseTimings, type Timings } from '../src/core/timings.js';
import { fit, median } from './stats.js';

/**
 * `npm run bench`: st2prov against Ansible (Debian's, with pipelining) on lab hosts.
 * - start-up: `node -e 0`, `st2prov --help`, `st2prov hosts` (runs alternated);
 * - how cost grows: each tool on its own fresh hosts, the cluster grown through the sizes
 *   (1 controller + 2, 10, 20, 50 blueprints): the first apply at the smallest size, then at
 *   each size an apply that adds the new blueprints, and no-op applies and dry runs, alternated;
 *   Ansible only up to --ansible-sizes (its runs at 1+20 and more take many minutes each);
 * - st2prov's floor from its own timings (ST2PROV_TIMINGS): start, SSH handshake, one round
 *   trip, the remote probe;
 * - a 5,000-file packs sync (1+1).
 * Writes bench/RESULTS.md, bench/results.json, bench/scaling.svg and bench/memory.svg (with
 * --name N: bench/N.md, bench/N.json, bench/N-scaling.svg, bench/N-memory.svg).
 * Not a test: CI does not run it. Options: --sizes 2,10,20,50 --ansible-sizes 2,10 --repeats 5
 * --ansible-repeats 1 (default: --repeats) --no-packs --name N
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const args = process.argv.slice(2);
const option = (name: string, fallback: string) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? args[at + 1]! : fallback;
};
const numbers = (text: string) => text.split(',').filter(Boolean).map(Number).sort((a, b) => a - b);
const sizes = numbers(option('sizes', '2,10,20,50'));
const ansibleSizes = numbers(option('ansible-sizes', '2,10'));
const repeats = Number(option('repeats', '5'));
// Ansible's no-op at 1+20 takes minutes: fewer of its runs keep the benchmark within an hour
const ansibleRepeats = Number(option('ansible-repeats', String(repeats)));
const name = option('name', '');
/** where the results go, in bench/: RESULTS.md and the rest, or NAME.md and the rest with --name NAME */
const outputs = name
  ? { md: `${name}.md`, json: `${name}.json`, scaling: `${name}-scaling.svg`, memory: `${name}-memory.svg` }
  : { md: 'RESULTS.md', json: 'results.json', scaling: 'scaling.svg', memory: 'memory.svg' };
const packs = !args.includes('--no-packs');
const VERSION = ['-e', 'st2_version=2.10.4'];
const ST2PROV = [process.execPath, join(root, 'bin/st2prov.js')];

type Tool = 'st2prov' | 'ansible';
interface Sample { tool: Tool; size: number; run: string; seconds: number; peakKb?: number; cpuSeconds?: number; hostsCpuSeconds?: number; ok: boolean; load: number; timings?: Timings }
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

interface Timed { seconds: number; peakKb: number; cpuSeconds: number; hostsCpuSeconds?: number; ok: boolean; output: string; stderr: string }

/** Runs a command under /usr/bin/time: wall seconds (the clock around it), peak resident memory, its CPU (user and system, with its children). */
function timed(cmd: string[], env: NodeJS.ProcessEnv = {}, cwd = root): Timed {
  const t0 = process.hrtime.bigint();
  const hosts0 = labCpuSeconds();
  const r = spawnSync('/usr/bin/time', ['-f', '@@time %M %U %S', ...cmd], { cwd, env: { ...process.env, CI: 'true', ...env }, encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const hosts1 = labCpuSeconds();
  const m = /@@time (\d+) ([\d.]+) ([\d.]+)/.exec(r.stderr);
  return { seconds, peakKb: Number(m?.[1] ?? NaN), cpuSeconds: Number(m?.[2] ?? NaN) + Number(m?.[3] ?? NaN), ...(hosts0 !== undefined && hosts1 !== undefined ? { hostsCpuSeconds: hosts1 - hosts0 } : {}), ok: r.status === 0, output: r.stdout + r.stderr, stderr: r.stderr };
}

/** Wall seconds of a command started directly (start-up times are too short for /usr/bin/time's 10 ms). */
function wall(cmd: string[]): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd[0]!, cmd.slice(1), { cwd: root, stdio: 'ignore' });
  if (r.status !== 0) throw new Error(`${cmd.join(' ')} failed`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** The lab's inventory with only its first `size` blueprints (the lab has hosts for the largest size). */
function inventoryOf(lab: Lab, size: number): string {
  const file = join(dirname(lab.inventory), `bench-1+${size}.ini`);
  const keep = (line: string) => {
    const m = /^st2-multi-node-(\d+)\s/.exec(line);
    return !m || Number(m[1]) <= size;
  };
  writeFileSync(file, readFileSync(lab.inventory, 'utf8').split('\n').filter(keep).join('\n'));
  return file;
}

/** The material the Ansible playbook copies: made once per lab, as st2prov makes its own. */
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

function startUp(): void {
  const commands: [string, string[]][] = [
    ['node -e 0', [process.execPath, '-e', '0']],
    ['st2prov --help', [...ST2PROV, '--help']],
    ['st2prov hosts', [...ST2PROV, 'hosts', join(root, 'inventory/reference.ini')]],
  ];
  for (const [, cmd] of commands) wall(cmd); // warm the page cache
  for (let r = 0; r < repeats * 4; r++) {
    for (const [run, cmd] of commands) samples.push({ tool: 'st2prov', size: 0, run, seconds: wall(cmd), ok: true, load: loadavg()[0]! });
  }
  for (const [run] of commands) log(`${run}: ${median(samples.filter((s) => s.run === run).map((s) => s.seconds)).toFixed(3)} s`);
}

/** One tool on its own fresh hosts, the cluster grown through the sizes. */
async function scale(tool: Tool, toolSizes: readonly number[]): Promise<void> {
  if (!toolSizes.length) return;
  const lab = await labUp(Math.max(...toolSizes));
  const vars = tool === 'ansible' ? ansibleVars(lab) : undefined;
  try {
    const run = (inventory: string, kind: 'apply' | 'no-op' | 'diff'): Timed => {
      if (tool === 'st2prov') return timed([...ST2PROV, kind === 'diff' ? 'diff' : 'apply', inventory, ...VERSION], { ST2PROV_TIMINGS: '1' });
      const env = { ANSIBLE_PIPELINING: '1', ANSIBLE_CONFIG: join(root, 'bench/ansible/ansible.cfg') };
      return timed(['ansible-playbook', '-i', inventory, 'site.yml', '-e', `@${vars}`, ...(kind === 'diff' ? ['--check', '--diff'] : [])], env, join(root, 'bench/ansible'));
    };
    let previous = 0;
    for (const size of toolSizes) {
      const inventory = inventoryOf(lab, size);
      const converge = run(inventory, 'apply');
      record(tool, size, previous ? `apply adding ${size - previous} blueprint${size - previous === 1 ? '' : 's'}` : 'first apply', converge);
      previous = size;
      if (!converge.ok) return;
      for (let r = 0; r < (tool === 'ansible' ? ansibleRepeats : repeats); r++) {
        record(tool, size, 'no-op apply', run(inventory, 'no-op'));
        record(tool, size, 'diff', run(inventory, 'diff'));
      }
    }
  } finally {
    if (vars) rmSync(dirname(vars), { recursive: true, force: true });
    labDown();
  }
}

function record(tool: Tool, size: number, run: string, r: Timed): void {
  samples.push({
    tool, size, run, seconds: r.seconds, ok: r.ok, load: loadavg()[0]!, cpuSeconds: r.cpuSeconds,
    ...(r.hostsCpuSeconds !== undefined ? { hostsCpuSeconds: r.hostsCpuSeconds } : {}),
    ...(tool === 'st2prov' ? { peakKb: r.peakKb, timings: parseTimings(r.stderr) } : {}),
  });
  log(`${tool} 1+${size} ${run}: ${r.seconds.toFixed(2)} s${r.ok ? '' : ' (FAILED)'}`);
  if (!r.ok) {
    // the whole output kept, and what says why shown (not the timing lines that end it)
    const file = join(tmpdir(), `st2prov-bench-failed-${tool}-1+${size}-${Date.now()}.log`);
    writeFileSync(file, r.output);
    const lines = r.output.split('\n').filter((l) => !l.startsWith('timings:'));
    log([...lines.filter((l) => /\bfailed\b|: failed|unreachable/i.test(l) && !/failed=0/.test(l)).slice(0, 20), '...', ...lines.slice(-15), `(whole output: ${file})`].join('\n'));
  }
}

async function packsBench(): Promise<void> {
  const lab = await labUp(1);
  const dir = mkdtempSync(join(tmpdir(), 'st2prov-bench-packs-'));
  try {
    for (let p = 0; p < 50; p++) {
      for (let a = 0; a < 100; a++) {
        const actions = join(dir, `pack${p}`, 'actions');
        mkdirSync(actions, { recursive: true });
        writeFileSync(join(actions, `action${a}.yaml`), `name: action${a}\npack: pack${p}\nrunner_type: local-shell-cmd\nparameters:\n  cmd:\n    default: echo ${p}-${a}\n`);
      }
    }
    const sync = () => timed([...ST2PROV, 'apply', lab.inventory, '--playbook', join(root, 'dist/bench/playbooks/packs.js'), '-e', `bench_packs=${dir}`]);
    record('st2prov', 1, 'packs: first sync (5,000 files)', sync());
    for (let i = 0; i < repeats; i++) {
      record('st2prov', 1, 'packs: no-op (5,000 files)', sync());
      writeFileSync(join(dir, 'pack7/actions/action42.yaml'), `name: action42\nchanged: ${i}\n`);
      record('st2prov', 1, 'packs: one file changed', sync());
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
    labDown();
  }
}

const ok = (tool: Tool, size: number, run: string) => samples.filter((x) => x.tool === tool && x.size === size && x.run === run && x.ok);
const secondsOf = (tool: Tool, size: number, run: string) => ok(tool, size, run).map((x) => x.seconds);
const cell = (xs: number[]) => (xs.length ? `${median(xs).toFixed(2)} s (${Math.min(...xs).toFixed(2)}–${Math.max(...xs).toFixed(2)}, n=${xs.length})` : '—');
const allSizes = () => [...new Set(samples.filter((s) => s.size > 1).map((s) => s.size))].sort((a, b) => a - b);
/** a curve needs two sizes: with one, the tables say it all */
const drawsCurves = () => allSizes().length > 1;

function charts(): void {
  const curve = (tool: Tool, run: string) => allSizes().filter((n) => secondsOf(tool, n, run).length).map((n) => [n, Number(median(secondsOf(tool, n, run)).toFixed(3))] as const);
  writeFileSync(join(root, 'bench', outputs.scaling), lineChart({
    title: 'No-op apply and dry run against cluster size',
    xLabel: 'blueprints (plus one controller)',
    yLabel: 'wall seconds (median, log scale)',
    logY: true,
    series: [
      { name: 'st2prov apply', color: '#1f77b4', points: curve('st2prov', 'no-op apply') },
      { name: 'st2prov diff', color: '#1f77b4', dashed: true, points: curve('st2prov', 'diff') },
      { name: 'Ansible apply', color: '#d62728', points: curve('ansible', 'no-op apply') },
      { name: 'Ansible --check', color: '#d62728', dashed: true, points: curve('ansible', 'diff') },
    ].filter((s) => s.points.length),
  }));
  const peak = allSizes().map((n) => {
    const kb = samples.filter((s) => s.tool === 'st2prov' && s.size === n && s.peakKb).map((s) => s.peakKb!);
    return [n, kb.length ? Number((Math.max(...kb) / 1024).toFixed(1)) : 0] as const;
  }).filter((p) => p[1] > 0);
  writeFileSync(join(root, 'bench', outputs.memory), lineChart({
    title: 'st2prov peak resident memory (control side)',
    xLabel: 'blueprints (plus one controller)',
    yLabel: 'MB (largest of its runs)',
    series: [{ name: 'st2prov', color: '#1f77b4', points: peak }],
  }));
}

/** The median of a CPU figure over a tool's runs of one kind at one size (seconds), if measured. */
function cpuOf(tool: Tool, size: number, run: string, pick: (s: Sample) => number | undefined): number | undefined {
  const xs = ok(tool, size, run).map(pick).filter((x): x is number => x !== undefined && Number.isFinite(x));
  return xs.length ? median(xs) : undefined;
}

/**
 * Where a run's CPU goes: the tool's own (with its children) and the lab hosts' (their cgroup).
 * The hosts share this machine's cores with the tool: (tool + hosts) ÷ cores is a floor under
 * the wall time here that no change to the tool's waiting can go below.
 */
function cpuTable(): string[] {
  const rows: string[] = [];
  for (const size of allSizes()) {
    for (const tool of ['st2prov', 'ansible'] as const) {
      for (const run of ['no-op apply', 'diff']) {
        const own = cpuOf(tool, size, run, (s) => s.cpuSeconds);
        const hosts = cpuOf(tool, size, run, (s) => s.hostsCpuSeconds);
        if (own === undefined || hosts === undefined) continue;
        const wallOf = median(secondsOf(tool, size, run));
        rows.push(`| ${tool === 'ansible' ? 'Ansible' : 'st2prov'} | ${run} | 1+${size} | ${wallOf.toFixed(2)} s | ${own.toFixed(2)} s | ${hosts.toFixed(2)} s (${((hosts * 1000) / (size + 1)).toFixed(0)} ms a host) | ${((own + hosts) / cpus().length).toFixed(2)} s |`);
      }
    }
  }
  if (!rows.length) return [];
  return [
    '## Where the CPU goes',
    '',
    `Control side: the tool's user and system CPU with its children (\`/usr/bin/time\`). Hosts: the CPU every lab host used during the run (their cgroup: sshd, the commands run there, systemd answering them; about 0.02 s a second of background). The hosts and the tool share this machine's ${cpus().length} cores, so (tool + hosts) ÷ ${cpus().length} is a floor under the wall time here; on real hosts only the control side's CPU is this machine's.`,
    '',
    '| tool | run | hosts | wall (median) | control-side CPU | hosts\' CPU | floor: (control + hosts) ÷ cores |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ];
}

/** st2prov's own account of a no-op at this size: medians over its runs. */
function floorAt(size: number): { start: number; connect: number; lock: number; probe: number; probes: number } | undefined {
  const runs = ok('st2prov', size, 'no-op apply').map((s) => s.timings).filter((t): t is Timings => Boolean(t?.hosts.size));
  if (!runs.length) return undefined;
  const perHost = (phase: string, pick: (xs: number[]) => number) => median(runs.flatMap((t) => [...t.hosts.values()].map((h) => pick(h.get(phase) ?? [0]))));
  return {
    start: median(runs.map((t) => t.start ?? 0)) / 1000,
    connect: perHost('connect', (xs) => xs[0]!) / 1000,
    lock: perHost('lock', (xs) => xs[0]!) / 1000,
    probe: perHost('probe', (xs) => Math.max(...xs)) / 1000,
    probes: perHost('probe', (xs) => xs.length),
  };
}

function report(): string {
  const version = (cmd: string[]) => spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' }).stdout.split('\n')[0]!.trim();
  const loads = samples.map((s) => s.load);
  const lines = [
    '# st2prov benchmark',
    '',
    `Measured ${new Date().toISOString().slice(0, 16)}Z by \`npm run bench -- ${args.join(' ')}\` on ${cpus().length} × ${cpus()[0]?.model.trim()}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB; load average (1 min) while measuring ${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}.`,
    `st2prov ${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version} on Node ${process.version}; ${version(['ansible', '--version'])} (Debian's), pipelining on, forks 25.`,
    `Lab hosts boot ${DEFAULT_INIT === 'systemd' ? 'systemd as PID 1 (systemd-nspawn)' : 'tini with sysvinit scripts'}; every blueprint is a full one (the lab's st2, Mistral and nginx) and every host shares this machine's cores with st2prov itself. Each tool on its own fresh hosts; the same steps (bench/ansible/site.yml mirrors playbooks/); StackStorm 2.10.4 layout.`,
    '',
    '## Start-up',
    '',
    '| command | median (min–max) |',
    '|---|---|',
    ...['node -e 0', 'st2prov --help', 'st2prov hosts'].map((run) => `| \`${run}\` | ${cell(samples.filter((s) => s.run === run).map((s) => s.seconds))} |`),
    '',
    '## Runs',
    '',
    '| run | hosts | st2prov median (min–max) | Ansible median (min–max) | Ansible ÷ st2prov |',
    '|---|---|---|---|---|',
  ];
  for (const size of allSizes()) {
    const runs = [...new Set(samples.filter((s) => s.size === size && !s.run.startsWith('packs')).map((s) => s.run))];
    for (const run of runs) {
      const s = secondsOf('st2prov', size, run);
      const a = secondsOf('ansible', size, run);
      const ratio = s.length && a.length ? `${(median(a) / median(s)).toFixed(1)}×` : '—';
      lines.push(`| ${run === 'diff' ? 'diff (Ansible: --check --diff)' : run} | 1+${size} | ${cell(s)} | ${cell(a)} | ${ratio} |`);
    }
  }
  for (const run of ['packs: first sync (5,000 files)', 'packs: no-op (5,000 files)', 'packs: one file changed']) {
    const s = samples.filter((x) => x.run === run && x.ok).map((x) => x.seconds);
    if (s.length) lines.push(`| ${run} | 1+1 | ${cell(s)} | — | — |`);
  }
  const curves = drawsCurves();
  lines.push('', ...cpuTable(), '## How cost grows', '', ...(curves ? [`![no-op apply and dry run against cluster size](${outputs.scaling})`, ''] : []));
  const grow: string[] = [];
  for (const tool of ['st2prov', 'ansible'] as const) {
    for (const run of ['no-op apply', 'diff']) {
      const pts = allSizes().filter((n) => secondsOf(tool, n, run).length).map((n) => [n, median(secondsOf(tool, n, run))] as const);
      if (pts.length < 2) continue;
      const f = fit(pts);
      grow.push(`| ${tool === 'ansible' ? 'Ansible' : 'st2prov'} | ${run} | ${(f.slope * 1000).toFixed(0)} ms | ${f.intercept.toFixed(2)} s | 1+${pts[0]![0]} to 1+${pts.at(-1)![0]} |`);
    }
  }
  if (grow.length) lines.push('Least-squares line through the medians: what one more blueprint costs, and the fixed part.', '', '| tool | run | per blueprint | fixed | sizes |', '|---|---|---|---|---|', ...grow, '');
  const floors = allSizes().map((n) => [n, floorAt(n)] as const).filter((x): x is [number, NonNullable<ReturnType<typeof floorAt>>] => Boolean(x[1]));
  if (floors.length) {
    lines.push(
      'The floor, from st2prov\'s own timings of its no-op applies (`ST2PROV_TIMINGS=1`; medians over runs and hosts): *start* is the process up to its first connection (Node, modules, inventory, settings); *handshake* an SSH connection and login; *round trip* the host lock (one channel, a few shell builtins and flock); *probe* the largest fact batch (one channel, the probe script on the host, its output back); *probes* how many fact round trips a host takes.',
      '',
      '| hosts | start | handshake | round trip | probe | probes per host | no-op wall |',
      '|---|---|---|---|---|---|---|',
      ...floors.map(([n, f]) => `| 1+${n} | ${f.start.toFixed(3)} s | ${f.connect.toFixed(3)} s | ${f.lock.toFixed(3)} s | ${f.probe.toFixed(3)} s | ${f.probes} | ${median(secondsOf('st2prov', n, 'no-op apply')).toFixed(3)} s |`),
      '',
    );
  }
  lines.push(...(curves ? [`![st2prov peak resident memory against cluster size](${outputs.memory})`, ''] : []), '| hosts | st2prov peak resident memory |', '|---|---|');
  for (const n of allSizes()) {
    const kb = samples.filter((s) => s.tool === 'st2prov' && s.size === n && s.peakKb).map((s) => s.peakKb!);
    if (kb.length) lines.push(`| 1+${n} | ${(Math.max(...kb) / 1024).toFixed(0)} MB |`);
  }
  const failed = samples.filter((x) => !x.ok);
  if (failed.length) lines.push('', `Failed runs (left out of the tables): ${failed.map((f) => `${f.tool} 1+${f.size} ${f.run}`).join(', ')}.`);
  return `${lines.join('\n')}\n`;
}

if (process.getuid?.() !== 0) throw new Error('the benchmark needs root (it builds the lab)');
ensureTools();
startUp();
// the tools on their own fresh hosts, one after the other: the lab holds one cluster at a time
await scale('st2prov', sizes);
await scale('ansible', ansibleSizes);
if (packs) await packsBench();
const text = report();
if (drawsCurves()) charts();
writeFileSync(join(root, 'bench', outputs.md), text);
writeFileSync(join(root, 'bench', outputs.json), `${JSON.stringify({ sizes, ansibleSizes, repeats, ansibleRepeats, samples: samples.map((s) => ({ ...s, timings: s.timings && { start: s.timings.start, hosts: Object.fromEntries([...s.timings.hosts].map(([h, p]) => [h, Object.fromEntries(p)])) } })) }, null, 2)}\n`);
process.stdout.write(text);
