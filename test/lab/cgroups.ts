import { existsSync, readFileSync, readdirSync, rmSync, rmdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CGROUP_PARENT } from './config.js';
import { log } from './sh.js';

/*
 * What a systemd host needs from this machine beyond its namespaces: a cgroup of its own
 * (this machine runs no systemd, so nobody else makes one) and enough inotify instances.
 * The machine has hybrid cgroups: v1 controllers, the name=systemd hierarchy, and cgroup2
 * at /sys/fs/cgroup/unified. A host gets a folder in the last two; nspawn puts the guest below it.
 */
const HIERARCHIES = ['/sys/fs/cgroup/systemd', '/sys/fs/cgroup/unified'];

/** The cgroups the launcher of host `machine` moves into before it starts nspawn. */
export function cgroupPaths(machine: string): string[] {
  return HIERARCHIES.map((h) => join(h, CGROUP_PARENT, machine));
}

/** What the lab needs of the machine's cgroups: both hierarchies there and writable. */
export function requireCgroups(): void {
  for (const h of HIERARCHIES) {
    if (!existsSync(join(h, 'cgroup.procs'))) {
      throw new Error(`${h} is not mounted: systemd lab hosts need the name=systemd and the unified cgroup hierarchies (or run the lab with ST2PROV_LAB_INIT=sysvinit)`);
    }
  }
}

/**
 * Removes the cgroups of a host whose processes are gone, deepest first (the guest's systemd
 * made its slices below ours). Returns the folders that could not be removed.
 */
export function removeCgroups(machine: string): string[] {
  const left: string[] = [];
  const remove = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) if (entry.isDirectory()) remove(join(dir, entry.name));
    try {
      rmdirSync(dir);
    } catch {
      left.push(dir);
    }
  };
  for (const dir of cgroupPaths(machine)) remove(dir);
  for (const h of HIERARCHIES) {
    const parent = join(h, CGROUP_PARENT);
    try {
      if (existsSync(parent) && readdirSync(parent, { withFileTypes: true }).every((e) => !e.isDirectory())) rmdirSync(parent);
    } catch {
      // another host of this slot still uses it
    }
  }
  return left;
}

/**
 * CPU seconds every systemd host of this slot has used so far (its cgroup2's cpu.stat: the
 * hosts' sshd, what st2prov runs there, their systemd and services); undefined without one.
 */
export function labCpuSeconds(): number | undefined {
  const stat = join(HIERARCHIES[1]!, CGROUP_PARENT, 'cpu.stat');
  if (!existsSync(stat)) return undefined;
  const usec = /^usage_usec (\d+)$/m.exec(readFileSync(stat, 'utf8'));
  return usec ? Number(usec[1]) / 1e6 : undefined;
}

/** The hosts (nspawn machine names) that have a cgroup of this slot, live or left by a killed run. */
export function labMachines(): string[] {
  const names = new Set<string>();
  for (const h of HIERARCHIES) {
    const parent = join(h, CGROUP_PARENT);
    if (!existsSync(parent)) continue;
    for (const e of readdirSync(parent, { withFileTypes: true })) if (e.isDirectory()) names.add(e.name);
  }
  return [...names];
}

/** Every process in a host's cgroups (the launcher, nspawn and the whole guest): all the lab's own. */
export function cgroupProcesses(machine: string): number[] {
  const pids: number[] = [];
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    try {
      pids.push(...readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number));
    } catch {
      // gone meanwhile
    }
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) walk(join(dir, e.name));
  };
  for (const dir of cgroupPaths(machine)) walk(dir);
  return [...new Set(pids)];
}

/** Cgroup folders of this slot still there (for leftovers). */
export function labCgroups(): string[] {
  return HIERARCHIES.map((h) => join(h, CGROUP_PARENT)).filter((p) => existsSync(p));
}

/** What nspawn leaves under /run for a machine: its mount propagation folder. */
export function removeNspawnRuntime(machine: string): void {
  for (const dir of ['/run/systemd/nspawn/propagate', '/run/systemd/nspawn/unix-export']) {
    rmSync(join(dir, machine), { recursive: true, force: true });
  }
}

export function nspawnRuntimeLeft(machine: string): string[] {
  return ['/run/systemd/nspawn/propagate', '/run/systemd/nspawn/unix-export'].map((d) => join(d, machine)).filter((p) => existsSync(p) && statSync(p).isDirectory());
}

/*
 * Every systemd guest holds several inotify instances of the one user they all run as (root);
 * past about 18 guests at the default 128 their boots fail and sshd never starts.
 */
const INOTIFY_INSTANCES = '/proc/sys/fs/inotify/max_user_instances';
const INSTANCES_PER_HOST = 16;

/** Raises the machine's inotify instance limit to what `hosts` more systemd guests need; never lowers it. */
export function ensureInotifyInstances(hosts: number): void {
  const current = Number(readFileSync(INOTIFY_INSTANCES, 'utf8').trim());
  // room for this lab, another lab slot of the same size and the machine's own use
  const wanted = Math.max(1024, 128 + 2 * hosts * INSTANCES_PER_HOST);
  if (current >= wanted) return;
  log(`raising fs.inotify.max_user_instances from ${current} to ${wanted} for ${hosts} systemd hosts`);
  writeFileSync(INOTIFY_INSTANCES, `${wanted}\n`);
}
