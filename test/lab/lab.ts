import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureBase } from './base.js';
import { withBuildLock } from './buildLock.js';
import { cgroupProcesses, ensureInotifyInstances, labCgroups, labMachines, nspawnRuntimeLeft, removeCgroups, removeNspawnRuntime, requireCgroups } from './cgroups.js';
import { BRIDGE, BRIDGE_ADDRESS, DEFAULT_INIT, LB_VIP, NETNS_PREFIX, REPO_PORT, REPO_URL, VETH_PREFIX, hostSpecs, runDir, stateFile, type LabHostSpec, type LabInit } from './config.js';
import { prepareHost, startHost, type RunningHost } from './hosts.js';
import { createBridge, createHostNetwork, plugHost, removeBridge, removeHostNetwork, unplugHost } from './network.js';
import { childrenOf, isAlive, killAndWait, startTimeOf } from './processes.js';
import { ensureRepo } from './repo.js';
import { has, log, run } from './sh.js';

export interface LabState {
  bridge?: string;
  repoServer?: { pid: number; startTime: string | undefined };
  hosts: RunningHost[];
}

export interface Lab {
  init: LabInit;
  inventory: string;
  knownHosts: string;
  clientKey: string;
  repoKeyring: string;
  hosts: RunningHost[];
}

const TOOLS: [string, string][] = [
  ['mmdebstrap', 'mmdebstrap'],
  ['systemd-nspawn', 'systemd-container'],
  ['apt-ftparchive', 'apt-utils'],
  ['gpg', 'gnupg'],
  ['ip', 'iproute2'],
  ['unshare', 'util-linux'],
  ['ssh-keygen', 'openssh-client'],
];

export function requireLabPrivileges(): void {
  if (process.getuid?.() !== 0) throw new Error('the lab needs root (network namespaces, overlay mounts, chroot); run it as root, as .ci/run does');
  if (!existsSync('/proc/self/ns/net') || !existsSync('/proc/self/ns/pid')) throw new Error('this kernel has no network or PID namespaces: the lab cannot run here');
}

function ensureTools(): void {
  const missing = TOOLS.filter(([bin]) => !has(bin)).map(([, pkg]) => pkg);
  if (missing.length) {
    log(`installing ${missing.join(' ')}`);
    if (!readdirSync('/var/lib/apt/lists').some((f) => f.endsWith('_Packages'))) run('apt-get', ['update', '-q']);
    run('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...[...new Set(missing)].map(pinned)], { env: { DEBIAN_FRONTEND: 'noninteractive' } });
  }
}

/*
 * systemd-container must be the version of the machine's own systemd package: a newer one
 * would pull in (and upgrade) the machine's systemd with it.
 */
function pinned(pkg: string): string {
  if (pkg !== 'systemd-container') return pkg;
  let version = '';
  try {
    version = run('dpkg-query', ['-W', '-f', '${Version}', 'systemd']).trim();
  } catch {
    // no systemd package on this machine: the newest comes along
  }
  return version ? `${pkg}=${version}` : pkg;
}

function saveState(state: LabState): void {
  mkdirSync(runDir, { recursive: true });
  writeFileSync(stateFile, `${JSON.stringify(state, null, 2)}\n`);
}

export interface LabOptions {
  /** what the hosts boot (default: ST2PROV_LAB_INIT, else systemd) */
  init?: LabInit;
  /** 1 (the guide's controller box, the default) or 3 (the HA tier, with lb_vip in the inventory) */
  controllers?: number;
}

/**
 * What every lab needs, made before labs start side by side in several slots (they share the
 * base root and the repository, built once): the tools, the base root, the repository.
 */
export function labPrepare(): void {
  requireLabPrivileges();
  ensureTools();
  withBuildLock(() => ensureRepo(ensureBase()));
}

/** One controller (or three) and `blueprints` blueprint hosts, fresh; a stale lab is removed first. */
export async function labUp(blueprints: number, options: LabOptions = {}): Promise<Lab> {
  const init = options.init ?? DEFAULT_INIT;
  requireLabPrivileges();
  ensureTools();
  if (init === 'systemd') requireCgroups();
  labDown();
  const { base, repo } = withBuildLock(() => {
    const base = ensureBase();
    return { base, repo: ensureRepo(base) };
  });
  try {
    return await startLab(base, repo, hostSpecs(blueprints, options.controllers), init);
  } catch (err) {
    // nothing half-up stays behind
    const left = labDown();
    if (left.length) log(`could not remove: ${left.join(', ')}`);
    throw err;
  }
}

async function startLab(base: string, repo: { dir: string; keyring: string }, specs: LabHostSpec[], init: LabInit): Promise<Lab> {
  const t0 = Date.now();
  mkdirSync(runDir, { recursive: true });
  const state: LabState = { hosts: [] };
  const clientKey = join(runDir, 'id_ed25519');
  run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'st2prov-lab', '-f', clientKey]);
  const clientPublicKey = readFileSync(`${clientKey}.pub`, 'utf8');

  state.bridge = BRIDGE;
  saveState(state);
  createBridge();
  state.repoServer = startRepoServer(repo.dir);
  saveState(state);

  if (init === 'systemd') ensureInotifyInstances(specs.length);
  // every host is launched before any is waited for: they boot in parallel
  for (const spec of specs) {
    const hostKey = prepareHost(base, spec, init, clientPublicKey, repo.keyring, specs);
    createHostNetwork(spec);
    state.hosts.push({ ...spec, init, pid: 0, startTime: undefined, hostKey });
    saveState(state);
    const { pid } = startHost(base, spec, init);
    Object.assign(state.hosts[state.hosts.length - 1]!, { pid, startTime: startTimeOf(pid) });
    saveState(state);
  }
  // a systemd boot takes about a second alone; many at once share this machine's cores
  const bootTimeoutMs = 30_000 + 2_000 * specs.length;
  await Promise.all([waitForPort(BRIDGE_ADDRESS, REPO_PORT, 'the lab repository'), ...state.hosts.map((h) => waitForPort(h.address, 22, `sshd on ${h.name}`, bootTimeoutMs))]);

  const knownHosts = join(runDir, 'known_hosts');
  writeFileSync(knownHosts, state.hosts.map((h) => `${h.address} ${h.hostKey.split(' ').slice(0, 2).join(' ')}\n`).join(''));
  if (init === 'systemd') await Promise.all(state.hosts.map((h) => waitForBoot(h, clientKey, knownHosts, bootTimeoutMs)));
  const inventory = join(runDir, 'inventory.ini');
  writeFileSync(inventory, labInventory(state.hosts, clientKey, knownHosts, repo.keyring));
  log(`${state.hosts.length} ${init} hosts up in ${((Date.now() - t0) / 1000).toFixed(1)} s; inventory: ${inventory}`);
  return { init, inventory, knownHosts, clientKey, repoKeyring: repo.keyring, hosts: state.hosts };
}

/**
 * sshd answers before the boot is over: waits until systemd says the boot finished, and
 * fails with the failed units when it did not finish cleanly ("degraded").
 */
async function waitForBoot(host: RunningHost, clientKey: string, knownHosts: string, timeoutMs: number): Promise<void> {
  const script = `timeout ${Math.ceil(timeoutMs / 1000)} systemctl is-system-running --wait; systemctl --failed --no-legend --plain`;
  const r = await sshAsync(host.address, clientKey, knownHosts, script);
  const [status, ...failed] = r.stdout.trim().split('\n');
  if (status !== 'running') {
    throw new Error(`${host.name} booted "${status || r.stderr.trim()}"${failed.length ? `; failed units: ${failed.join('; ')}` : ''}; see ${join(runDir, 'hosts', host.name, 'console.log')}`);
  }
}

function sshAsync(address: string, clientKey: string, knownHosts: string, command: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ssh', ['-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes', '-o', `UserKnownHostsFile=${knownHosts}`, '-o', 'ConnectTimeout=10', '-i', clientKey, `root@${address}`, command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

function labInventory(hosts: RunningHost[], clientKey: string, knownHosts: string, keyring: string): string {
  const line = (h: RunningHost) => `${h.name} ansible_host=${h.address}`;
  const tier = hosts.filter((h) => h.role === 'controller').length > 1;
  return [
    '# The st2prov lab: written by `npm run lab:up`, gone with `npm run lab:down`.',
    '[controller]',
    ...hosts.filter((h) => h.role === 'controller').map(line),
    '',
    '[blueprint]',
    ...hosts.filter((h) => h.role === 'blueprint').map(line),
    '',
    '[all:vars]',
    'ansible_user=root',
    `ansible_ssh_private_key_file=${clientKey}`,
    `ansible_ssh_common_args='-o UserKnownHostsFile=${knownHosts}'`,
    `st2_repo=${REPO_URL}/stackstorm`,
    `st2_repo_key=${keyring}`,
    ...(tier ? [`lb_vip=${LB_VIP}`] : []),
    '',
  ].join('\n');
}

function startRepoServer(dir: string): { pid: number; startTime: string | undefined } {
  const logFile = openSync(join(runDir, 'repo-server.log'), 'a');
  const script = fileURLToPath(new URL('./repoServer.js', import.meta.url));
  const child = spawn(process.execPath, [script, dir, BRIDGE_ADDRESS, String(REPO_PORT)], { detached: true, stdio: ['ignore', logFile, logFile] });
  closeSync(logFile);
  child.unref();
  return { pid: child.pid!, startTime: startTimeOf(child.pid!) };
}

/**
 * A whole host lost at once, as a power cut loses it: its link to the lab goes down (a dead
 * machine answers nothing, not even ARP for an address a daemon of it held) and every process
 * of it is SIGKILLed by its recorded PID and its cgroups, with no clean shutdown. Its disk (the
 * overlay's upper layer) and its namespace stay, for bootHost.
 */
export function killHost(host: RunningHost): void {
  unplugHost(host);
  if (host.pid && (host.startTime === undefined || startTimeOf(host.pid) === host.startTime)) stopHost(host);
  if (host.init === 'systemd') {
    for (const pid of cgroupProcesses(host.netns)) killAndWait(pid, startTimeOf(pid));
    removeCgroups(host.netns);
    removeNspawnRuntime(host.netns);
  }
  updateHost(host.name, { pid: 0, startTime: undefined });
}

/**
 * Boots a killed host again with the lab's own start function, as a machine powered on again:
 * its disk as the kill left it, only its own address on its link (what daemons added before,
 * like a virtual address, is gone), back on the lab network. Resolves once it has booted.
 */
export async function bootHost(lab: Lab, host: RunningHost): Promise<RunningHost> {
  plugHost(host);
  const { pid } = startHost(ensureBase(), host, host.init);
  const started = updateHost(host.name, { pid, startTime: startTimeOf(pid) });
  Object.assign(host, started);
  await waitForPort(host.address, 22, `sshd on ${host.name}`, 60_000);
  if (host.init === 'systemd') await waitForBoot(host, lab.clientKey, lab.knownHosts, 60_000);
  return host;
}

function updateHost(name: string, fields: Partial<RunningHost>): RunningHost {
  const state = JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
  const host = state.hosts.find((h) => h.name === name);
  if (!host) throw new Error(`${name} is not a host of this lab`);
  Object.assign(host, fields);
  saveState(state);
  return host;
}

/**
 * Removes every namespace, link, process (by recorded PID) and file the lab created; also
 * what a killed run left without a state file (namespaces and links by their lab names).
 * Returns what could not be removed.
 */
export function labDown(): string[] {
  const state: LabState = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as LabState) : { hosts: [] };
  for (const host of state.hosts) {
    if (host.pid && (host.startTime === undefined || startTimeOf(host.pid) === host.startTime)) stopHost(host);
    if (host.init === 'systemd') {
      removeCgroups(host.netns);
      removeNspawnRuntime(host.netns);
    }
    removeHostNetwork(host.netns, host.veth);
  }
  // systemd hosts a killed run left without a state file: found by their cgroups
  for (const machine of labMachines()) {
    for (const pid of cgroupProcesses(machine)) killAndWait(pid, startTimeOf(pid));
    removeCgroups(machine);
    removeNspawnRuntime(machine);
  }
  if (state.repoServer) killAndWait(state.repoServer.pid, state.repoServer.startTime);
  for (const ns of labNamespaces()) removeHostNetwork(ns, '');
  for (const link of labLinks()) run('ip', ['link', 'del', link]);
  removeBridge();
  rmSync(runDir, { recursive: true, force: true });
  return leftovers(state);
}

/*
 * sysvinit: the unshare process and its child, the host's PID 1. systemd: the launcher shell,
 * nspawn, and the guest's systemd. Killing a PID namespace's first process kills all of it, so
 * the guest goes first (no graceful power-off: the host's files go with the lab anyway); the
 * launcher then sees nspawn end and does not boot the host again.
 */
function stopHost(host: RunningHost): void {
  const children = childrenOf(host.pid).map((pid) => ({ pid, startTime: startTimeOf(pid) }));
  const guests = host.init === 'systemd' ? children.flatMap((c) => childrenOf(c.pid)).map((pid) => ({ pid, startTime: startTimeOf(pid) })) : children;
  for (const g of guests) killAndWait(g.pid, g.startTime);
  killAndWait(host.pid, host.startTime);
  for (const c of children) killAndWait(c.pid, c.startTime);
}

export function labNamespaces(): string[] {
  if (!existsSync('/run/netns')) return [];
  return readdirSync('/run/netns').filter((n) => n.startsWith(NETNS_PREFIX));
}

function labLinks(): string[] {
  return run('ip', ['-o', 'link', 'show']).split('\n').map((l) => /^\d+:\s+([^:@]+)/.exec(l)?.[1] ?? '').filter((n) => n.startsWith(VETH_PREFIX));
}

/** Anything of the lab still there: namespaces, links, mounts, processes, files. */
export function leftovers(state: LabState): string[] {
  const found: string[] = [];
  found.push(...labNamespaces().map((n) => `network namespace ${n}`));
  found.push(...labLinks().map((l) => `link ${l}`));
  if (run('ip', ['-o', 'link', 'show']).includes(`${BRIDGE}:`)) found.push(`bridge ${BRIDGE}`);
  const mounts = readFileSync('/proc/mounts', 'utf8').split('\n').filter((m) => m.includes(runDir));
  found.push(...mounts.map((m) => `mount ${m.split(' ')[1]}`));
  for (const h of state.hosts) if (h.pid && isAlive(h.pid) && startTimeOf(h.pid) === h.startTime) found.push(`process ${h.pid} (${h.name})`);
  for (const h of state.hosts) found.push(...nspawnRuntimeLeft(h.netns).map((d) => `folder ${d}`));
  found.push(...labCgroups().map((c) => `cgroup ${c}`));
  if (state.repoServer && isAlive(state.repoServer.pid) && startTimeOf(state.repoServer.pid) === state.repoServer.startTime) found.push(`process ${state.repoServer.pid} (repository server)`);
  if (existsSync(runDir)) found.push(`folder ${runDir}`);
  return found;
}

async function waitForPort(host: string, port: number, what: string, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const open = await new Promise<boolean>((resolve) => {
      const s = connect({ host, port, timeout: 500 }, () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
      s.on('timeout', () => {
        s.destroy();
        resolve(false);
      });
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} (${host}:${port}) did not come up within ${timeoutMs / 1000} s; see ${runDir}/hosts/*/console.log`);
}
