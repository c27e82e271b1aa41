import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { changeLines, failures, projectDir, st2prov, type CliRun } from '../harness/cli.js';
import { ssh } from '../harness/remote.js';
import { tracked } from '../harness/children.js';
import type { Lab } from './lab.js';

/**
 * Crash consistency: st2prov is killed with SIGKILL during a first apply of the whole cluster
 * (at a step boundary, in the middle of a file transfer, during an apt transaction), and then:
 * no file it manages is live half-written, the next apply converges without waiting for a
 * lock, the apply after reports 0 changed, no handler is still owed, every service whose
 * config changed has been restarted since, and no temp file is left.
 */
export type KillPoint =
  | { kind: 'step'; /** killed once this many steps have finished (on any host) */ after: number }
  | { kind: 'transfer' }
  | { kind: 'apt' };

export function describePoint(p: KillPoint): string {
  return p.kind === 'step' ? `after step ${p.after}` : p.kind === 'transfer' ? 'in the middle of a file transfer' : 'during an apt transaction';
}

const VERSION = ['-e', 'st2_version=2.10.4'];
const BIG = 'big.bin';

/** Files st2prov writes; after a kill each is absent, whole (ends with a newline), or as the run left it finished. */
const MANAGED = [
  '/etc/st2/st2.conf', '/etc/st2/htpasswd', '/etc/st2/keys/datastore_key.json', '/etc/mistral/mistral.conf', '/etc/default/st2ctl',
  '/etc/nginx/conf.d/st2.conf', '/etc/nginx/conf.d/st2-lb.conf', '/etc/redis/redis.conf', '/etc/mongodb.conf', '/etc/rabbitmq/rabbitmq-env.conf',
  '/etc/apt/sources.list.d/stackstorm.list', '/usr/share/keyrings/stackstorm-archive-keyring.asc', '/etc/ssl/st2/st2.crt', '/etc/ssl/st2/st2.key', '/etc/ssl/st2/cluster-ca.crt',
  '/home/stanley/.ssh/stanley_rsa', '/home/stanley/.ssh/stanley_rsa.pub', '/home/stanley/.ssh/authorized_keys',
];

/** A config and the process that must have been (re)started after it last changed. */
const RESTARTED_AFTER: [config: string, process: string][] = [
  ['/etc/redis/redis.conf', 'redis-server'],
  ['/etc/rabbitmq/rabbitmq-env.conf', 'beam.smp'],
  ['/etc/mongodb.conf', 'st2-lab-daemon mongodb'],
  ['/etc/st2/st2.conf', 'st2-lab-daemon st2api'],
  ['/etc/mistral/mistral.conf', 'st2-lab-daemon mistral-api'],
];

/**
 * A packs folder with one big file, so a sync takes long enough to be cut; `fresh` writes new
 * content, so the next apply must send it again. Returns the file's sha256.
 */
export function preparePacks(lab: Lab, fresh = false): string {
  const packs = join(dirname(lab.inventory), 'packs', 'crash_pack');
  mkdirSync(packs, { recursive: true });
  writeFileSync(join(packs, 'pack.yaml'), 'name: crash_pack\nversion: 1.0.0\n');
  if (fresh || !existsSync(join(packs, BIG))) writeFileSync(join(packs, BIG), randomBytes(48 * 1024 * 1024));
  return createHash('sha256').update(readFileSync(join(packs, BIG))).digest('hex');
}

/**
 * Starts an apply and kills it with SIGKILL at the point; resolves once it is dead (or
 * finished first), with what it printed on stderr.
 */
export async function applyKilledAt(lab: Lab, point: KillPoint, env: NodeJS.ProcessEnv = {}): Promise<{ killed: boolean; output: string }> {
  const child = tracked(spawn(process.execPath, [`${projectDir}bin/st2prov.js`, 'apply', lab.inventory, ...VERSION, '-v'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true', ...env } }));
  let finishedSteps = 0;
  let stderr = '';
  let output = '';
  let killed = false;
  const kill = () => {
    if (!killed && child.exitCode === null) {
      killed = true;
      child.kill('SIGKILL');
    }
  };
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    output += chunk.toString();
    const lines = stderr.split('\n');
    stderr = lines.pop()!;
    for (const line of lines) {
      if (/^\[[^\]]+\] [^:]+.*: (ok|changed|failed|pending)\b/.test(line)) finishedSteps++;
      if (point.kind === 'step' && finishedSteps >= point.after) kill();
    }
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (point.kind !== 'step') {
    const blueprint = lab.hosts.find((h) => h.role === 'blueprint')!;
    const controller = lab.hosts[0]!;
    const probe = point.kind === 'transfer'
      ? { host: blueprint, command: 'ls -d /opt/stackstorm/packs/.st2prov-sync.* >/dev/null 2>&1 && [ -n "$(find /opt/stackstorm/packs/.st2prov-sync.* -type f -size +1M 2>/dev/null)" ]' }
      : { host: controller, command: 'pgrep -f "dpkg --status-fd|/usr/bin/dpkg" >/dev/null' };
    void (async () => {
      while (child.exitCode === null && !killed) {
        if (ssh(lab, probe.host.address, probe.command).code === 0) kill();
        else await new Promise((r) => setTimeout(r, 50));
      }
    })();
  }
  await exited;
  return { killed, output };
}

/** The files st2prov manages, as they are on each host now (host → path → content). */
export function snapshot(lab: Lab): Map<string, Map<string, string>> {
  const all = new Map<string, Map<string, string>>();
  for (const host of lab.hosts) {
    const r = ssh(lab, host.address, `for f in ${MANAGED.join(' ')} /etc/postgresql/*/main/*.conf; do [ -f "$f" ] || continue; printf '@@file %s\n' "$f"; base64 -w0 "$f"; echo; done`);
    assert.equal(r.code, 0, r.stderr);
    const files = new Map<string, string>();
    for (const [, path, b64] of r.stdout.matchAll(/^@@file (\S+)\n(.*)$/gm)) files.set(path!, Buffer.from(b64!, 'base64').toString('utf8'));
    all.set(host.name, files);
  }
  return all;
}

/**
 * Right after the kill: the pack file is absent or one of the whole versions it was given
 * (its staged copy never went live half-sent).
 */
export function assertPackWhole(lab: Lab, ...wholeShas: string[]): void {
  for (const host of lab.hosts) {
    const r = ssh(lab, host.address, `[ -f /opt/stackstorm/packs/crash_pack/${BIG} ] && sha256sum /opt/stackstorm/packs/crash_pack/${BIG} | cut -d' ' -f1 || true`);
    const sha = r.stdout.trim();
    if (sha) assert.ok(wholeShas.includes(sha), `${host.name}: the pack file went live half-sent`);
  }
}

/**
 * No file was live half-written after the kill: what a file held then is either what it
 * holds once converged, or not a cut-off beginning of it (a prefix that stops mid-line).
 */
export function assertNothingWasCut(afterKill: Map<string, Map<string, string>>, converged: Map<string, Map<string, string>>): void {
  for (const [host, files] of afterKill) {
    for (const [path, content] of files) {
      const final = converged.get(host)?.get(path);
      if (final === undefined || content === final) continue;
      const cut = final.startsWith(content) && !content.endsWith('\n');
      assert.ok(!cut, `${host}: ${path} was live half-written (${content.length} of ${final.length} bytes)`);
    }
  }
}

/**
 * The next apply converges (without waiting on a lock), the one after changes nothing,
 * nothing is owed or left. Returns both runs.
 */
export async function assertConverges(lab: Lab, env: NodeJS.ProcessEnv = {}): Promise<CliRun[]> {
  const converge = await st2prov(['apply', lab.inventory, ...VERSION, '--json'], env);
  assert.equal(converge.code, 0, failures(converge));
  assert.doesNotMatch(converge.stderr, /waiting for another st2prov run/, 'a killed run left no lock');
  const again = await st2prov(['apply', lab.inventory, ...VERSION, '--json'], env);
  assert.equal(again.code, 0, failures(again));
  assert.deepEqual(changeLines(again.json), [], 'the apply after converging reports 0 changed');
  const owed = join(dirname(lab.inventory), 'inventory.st2prov', 'owed-handlers.json');
  if (existsSync(owed)) assert.deepEqual(JSON.parse(readFileSync(owed, 'utf8')), {}, 'no handler is still owed');
  for (const host of lab.hosts) {
    const left = ssh(lab, host.address, 'find /etc /opt/stackstorm /home/stanley /usr/share/keyrings -xdev \\( -name ".st2prov.*" -o -name ".st2prov-sync.*" \\) 2>/dev/null');
    assert.equal(left.stdout.trim(), '', `${host.name}: temp files left:\n${left.stdout}`);
    for (const [config, process] of RESTARTED_AFTER) {
      // the newest process matching must have started after the config's last change
      const r = ssh(lab, host.address, `[ -f ${config} ] || exit 0; pid=$(pgrep -n -f '${process}') || exit 0
boot=$(awk '/^btime/ {print $2}' /proc/stat); ticks=$(getconf CLK_TCK); start=$(( boot + $(awk '{print $22}' /proc/$pid/stat) / ticks ))
changed=$(stat -c %Y ${config}); [ "$start" -ge "$changed" ] || echo "stale: ${process} started $start, ${config} changed $changed"`);
      assert.doesNotMatch(r.stdout, /stale:/, `${host.name}: a handler was lost: ${r.stdout}`);
    }
  }
  return [converge, again];
}
