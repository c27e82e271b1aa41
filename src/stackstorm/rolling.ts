import { change, type Change } from '../core/change.js';
import { shellScript } from '../core/command.js';
import type { ClusterHost, HostContext } from '../core/context.js';
import { PlaybookError } from '../core/errors.js';
import { derivedFact, fact, knownFact, type Fact } from '../core/fact.js';
import type { Drain, LeftOut, Operation } from '../core/operation.js';
import { fileState, fileText } from '../facts/files.js';
import { osFacts } from '../facts/os.js';
import { installedPackages } from '../facts/packages.js';
import { serviceStates } from '../facts/services.js';
import { install } from '../ops/apt.js';
import { onHosts } from '../ops/delegate.js';
import { serviceCommand, verifyListening, verifyRunning } from '../ops/serviceCheck.js';
import { memberFile, upstreamMember } from '../ops/upstream.js';
import { nodeRoles } from './haRules.js';
import { listenerOf } from './listeners.js';
import { isDrained, memberPath, putBackRemedy } from './loadBalancer.js';
import { blueprints, controllers } from './topology.js';
import { databaseVersion, migrationNode, upstreamVersion, versionChange, type VersionChange } from './upgrade.js';
import { st2Features, type St2Features } from './versions.js';

/*
 * Rolling operations on the blueprints: a blueprint that serves takes its turn (one at a time
 * by default); before the first thing that disrupts it, it is drained — out of the load balancer
 * on every controller, the requests in flight finished, its singletons (timers engine, garbage
 * collector) handed to another blueprint — and after its handlers it is put back. Version
 * changes happen in the turn: st2 stopped gracefully, packages upgraded keeping our
 * configuration, the cluster's migrations and content registration once, on the first node.
 */

const features = (h: HostContext): St2Features => st2Features(h.settings.st2_version);
const packagesOf = (f: St2Features) => ['st2', ...(f.mistral ? ['st2mistral'] : [])];

/**
 * A blueprint serves once st2 is installed on it: from then on it takes turns (a fresh one does
 * not). Worked out from the installed packages, which the version gate has read already.
 */
export function st2Installed(): Fact<boolean> {
  return derivedFact('st2-installed', installedPackages(['st2']), (installed) => installed.has('st2'));
}

/** The services of which the cluster runs exactly one, whose node is named by the HA rules. */
export function singletonServices(f: St2Features): string[] {
  // before 2.9 timers run inside every rules engine ([timer] enable): nothing to hand over on its own
  return [...(f.timersEngine ? ['st2timersengine'] : []), 'st2garbagecollector'];
}

/** The singletons the HA rules put on this node. */
export function singletonsOf(h: HostContext, node: ClusterHost = h.host): string[] {
  const roles = nodeRoles(h.cluster, node);
  return singletonServices(features(h)).filter((s) => (s === 'st2timersengine' ? roles.timers : roles.garbageCollector));
}

/** This node's st2 components but the singletons, which only the drain, its way back and the singletons step move. */
export function componentsButSingletons(h: HostContext): string[] {
  const singletons = singletonServices(features(h));
  return nodeRoles(h.cluster, h.host).components.filter((c) => !singletons.includes(c));
}

/*
 * A stand-in runs a singleton for a drained node: on systemd a runtime drop-in (gone at
 * reboot) adds a config file to the unit's DAEMON_ARGS that turns timers on
 * ([timersengine] enable, which st2.conf sets False on every node but the timers node).
 */
const STAND_IN_CONF = '/run/st2prov/stand-in.conf';
const standInDropIn = (service: string) => `/run/systemd/system/${service}.service.d/st2prov-stand-in.conf`;
// the slow part (files, daemon-reload) before the singleton stops on its node: the gap is one start
const STAND_IN_READY = `set -e
mkdir -p /run/st2prov "$(dirname "$1")"
printf '# st2prov: a blueprint standing in for another one, in its turn\\n[timersengine]\\nenable = True\\n' > ${STAND_IN_CONF}
printf '# st2prov: this blueprint stands in for %s while it takes its turn\\n[Service]\\nEnvironment="DAEMON_ARGS=--config-file /etc/st2/st2.conf --config-file ${STAND_IN_CONF}"\\n' "$2" > "$1"
systemctl daemon-reload`;
const STAND_IN_GONE = 'if [ -e "$1" ]; then rm -f "$1"; systemctl daemon-reload; fi';

/** Whether a stand-in drop-in is on this host, for each singleton. */
function standInMarks(services: readonly string[]): Fact<boolean[]> {
  if (services.length === 0) return knownFact('stand-in:', []);
  return fact(`stand-in:${services.join(',')}`, shellScript('for f; do [ -e "$f" ] && echo yes || echo no; done', services.map(standInDropIn)), (r) => r.stdout.trim().split('\n').map((l) => l === 'yes'));
}

/** Whether this controller has the blueprint out of the load balancer. */
async function drainedThere(h: HostContext, controller: ClusterHost, node: ClusterHost): Promise<boolean> {
  const on = await h.on(controller);
  // every blueprint's file in one read: the stand-in search asks of one candidate after another
  await on.prefetch(blueprints(h.cluster).map((b) => memberFile(b.name))).catch(() => undefined);
  const member = await on.fact(memberFile(node.name));
  return member.exists && isDrained((await fileText(on, memberPath(node.name), member, 'reading a member file')).content);
}

/** Whether any controller has this blueprint out of the load balancer. */
async function drainedOnControllers(h: HostContext, node: ClusterHost): Promise<boolean> {
  for (const c of controllers(h.cluster)) if (await drainedThere(h, c, node)) return true;
  return false;
}

/*
 * A blueprint found out of the load balancer outside its turn was left so by a run that
 * stopped in its turn (killed, or failed there). Our run holds the lock of every controller
 * it reads (a drain holds them too, for its whole run): no other run is in a turn meanwhile.
 */
async function leftOut(from: HostContext, node: ClusterHost): Promise<LeftOut | undefined> {
  const on: string[] = [];
  for (const c of controllers(from.cluster)) if (await drainedThere(from, c, node)) on.push(c.name);
  if (!on.length) return undefined;
  return { reason: `out of the load balancer on ${on.join(', ')}, drained for a turn that did not end (a run stopped or failed there)`, remedy: putBackRemedy(node.name) };
}

/**
 * Who runs this node's singletons while it is drained: the next blueprint after it in
 * inventory order (wrapping), with st2 installed and not drained itself. The same answer
 * for the drain, its way back and a dry run of both.
 */
async function standIn(h: HostContext): Promise<ClusterHost | undefined> {
  const all = blueprints(h.cluster);
  const at = all.findIndex((b) => b.name === h.name);
  for (let i = 1; i < all.length; i++) {
    const candidate = all[(at + i) % all.length]!;
    try {
      const on = await h.on(candidate);
      if (!(await on.fact(st2Installed()))) continue;
      if (await drainedOnControllers(h, candidate)) continue;
      return candidate;
    } catch {
      // unreachable: not a stand-in
    }
  }
  return undefined;
}

const SECONDS_IN_FLIGHT = 30;
/*
 * Requests in flight on this blueprint: established TCP connections to its nginx (443) and
 * to st2auth and st2api behind it (9100, 9101). Streams (9102) are long-lived: their clients
 * reconnect through the load balancer.
 */
const IN_FLIGHT = `i=0
busy() { cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | awk '$4 == "01" { split($2, a, ":"); p = a[length(a)]; if (p == "01BB" || p == "238C" || p == "238D") n++ } END { print n + 0 }'; }
while [ "$i" -lt "$1" ]; do
  [ "$(busy)" = 0 ] && exit 0
  sleep 0.1; i=$((i + 1))
done
echo "$(busy) connection(s) still open after $(($1 / 10)) s: going on" >&2`;

/** The drain of a blueprint, for Play.drain. */
export const blueprintDrain: Drain = {
  out: 'drain: out of the load balancer, singletons handed over',
  back: 'undrain: singletons back, into the load balancer',
  take: (h) => drainOut(h),
  restore: (h, drained) => drainBack(h, drained),
  leftOut,
};

function drainOut(h: HostContext): Operation {
  const member = { name: h.name, address: h.host.address };
  const mine = singletonsOf(h);
  const lb = onHosts(`${h.name} out of the load balancer`, controllers(h.cluster), () => upstreamMember(member, true));
  return {
    title: `drain ${h.name}`,
    facts: () => [osFacts(), serviceStates(mine)],
    async plan(host) {
      const changes = await lb.plan(host);
      if (changes.length) {
        changes.push(change({
          kind: 'drain',
          summary: `requests in flight on ${host.name} finished (waits up to ${SECONDS_IN_FLIGHT} s)`,
          apply: async () => {
            await host.run('waiting for requests in flight', { argv: shellScript(IN_FLIGHT, [String(SECONDS_IN_FLIGHT * 10)]) });
          },
        }));
      }
      const states = mine.length ? await host.fact(serviceStates(mine)) : [];
      const running = mine.filter((_, i) => serviceRunning(states[i]));
      const init = (await host.fact(osFacts())).init;
      const to = running.length ? await standIn(host) : undefined;
      for (const service of running) {
        if (!to || init !== 'systemd') {
          changes.push(change({ kind: 'drain', summary: `stop ${service}: ${!to ? 'no other blueprint can stand in' : 'a stand-in needs systemd'}, it is back with ${host.name}`, apply: () => serviceCommand(host, init, service, 'stop') }));
          continue;
        }
        changes.push(change({
          kind: 'drain',
          summary: `hand ${service} to ${to.name}: stopped here, then started there (one at a time: never two)`,
          apply: async () => {
            const there = await host.on(to);
            await there.run(`${to.name} ready to stand in for ${service}`, { argv: shellScript(STAND_IN_READY, [standInDropIn(service), host.name]) });
            await serviceCommand(host, init, service, 'stop');
            await serviceCommand(there, 'systemd', service, 'start');
            await verifyRunning(there, 'systemd', [service]);
            there.forget();
          },
        }));
      }
      return changes;
    },
  };
}

function serviceRunning(state: { running: boolean } | undefined): boolean {
  return state?.running ?? false;
}

function drainBack(h: HostContext, drained: boolean): Operation {
  const member = { name: h.name, address: h.host.address };
  const mine = singletonsOf(h);
  return {
    title: `undrain ${h.name}`,
    facts: () => [osFacts(), serviceStates(mine)],
    async plan(host) {
      const out = await drainedOnControllers(host, host.host);
      // a dry run of a turn: the drain planned before did not happen; plan as if it had
      const simulated = drained && !out;
      if (!out && !simulated) return [];
      const changes: Change[] = [];
      const init = (await host.fact(osFacts())).init;
      if (mine.length) {
        const expected = simulated ? await standIn(host) : undefined;
        // where each singleton runs now but here: stand-ins (and strays)
        const elsewhere = new Map<string, { on: HostContext; init: 'systemd' | 'sysvinit'; name: string; marked: boolean }[]>(mine.map((m) => [m, []]));
        for (const other of blueprints(host.cluster).filter((b) => b.name !== host.name)) {
          let on: HostContext;
          try {
            on = await host.on(other);
          } catch {
            continue;
          }
          if (!(await on.fact(st2Installed()))) continue;
          const otherInit = (await on.fact(osFacts())).init;
          const [states, marks] = await Promise.all([on.fact(serviceStates(mine)), otherInit === 'systemd' ? on.fact(standInMarks(mine)) : mine.map(() => false)]);
          mine.forEach((service, i) => {
            if (states[i]!.running || marks[i] || (simulated && expected?.name === other.name)) elsewhere.get(service)!.push({ on, init: otherInit, name: other.name, marked: marks[i]! || simulated });
          });
        }
        const states = await host.fact(serviceStates(mine));
        mine.forEach((service, i) => {
          const others = elsewhere.get(service)!;
          if (!others.length && states[i]!.running && !simulated) return;
          changes.push(change({
            kind: 'drain',
            summary: others.length ? `${service} back here: stopped on ${others.map((o) => o.name).join(', ')}, then started here` : `start ${service} here again (its node)`,
            apply: async () => {
              for (const o of others) await serviceCommand(o.on, o.init, service, 'stop');
              // (a start of a running service does nothing)
              await serviceCommand(host, init, service, 'start');
              for (const o of others.filter((x) => x.marked)) await o.on.run(`${o.name} stands down for ${service}`, { argv: shellScript(STAND_IN_GONE, [standInDropIn(service)]) });
              others.forEach((o) => o.on.forget());
              await verifyRunning(host, init, [service]);
            },
          }));
        });
      }
      const lb = onHosts(`${host.name} back in the load balancer`, controllers(host.cluster), () => upstreamMember(member, false, simulated || undefined));
      changes.push(...(await lb.plan(host)));
      return changes;
    },
  };
}

/**
 * The singletons on a blueprint outside a drain: each runs on its node, and nowhere else but
 * on a stand-in of a drained node. A drained node's are left to its way back.
 */
export function singletons(h: HostContext): Operation {
  const all = singletonServices(features(h));
  const mine = singletonsOf(h);
  return {
    title: `singletons ${all.join(', ')}`,
    facts: () => [osFacts(), serviceStates(all), standInMarks(all)],
    async plan(host) {
      if (controllers(host.cluster).length && (await drainedOnControllers(host, host.host))) return [];
      const init = (await host.fact(osFacts())).init;
      const states = await host.fact(serviceStates(all));
      const marks = init === 'systemd' ? await host.fact(standInMarks(all)) : all.map(() => false);
      const changes: Change[] = [];
      all.forEach((service, i) => {
        const state = states[i]!;
        if (!state.known) return;
        if (mine.includes(service) && !state.running) {
          changes.push(change({ kind: 'service', summary: `start ${service} (this node runs it)`, apply: async () => {
            await serviceCommand(host, init, service, 'start');
            await verifyRunning(host, init, [service]);
          } }));
        }
        if (!mine.includes(service) && state.running && !marks[i]) {
          changes.push(change({ kind: 'service', summary: `stop ${service} (another node runs it)`, apply: () => serviceCommand(host, init, service, 'stop') }));
        }
      });
      return changes;
    },
  };
}

/**
 * In a blueprint's turn, when st2 is installed at another version than st2_version: st2 (and
 * Mistral) stopped gracefully, then its packages upgraded to the wanted version, keeping every
 * config file we manage (dpkg --force-confold: no prompt, ours stay). Disruptive: the engine
 * drains the node before. A fresh host got the wanted version at install: nothing here.
 *
 * Once for the cluster, on the first blueprint of the run (inventory order, the first turn)
 * with st2 installed, while the database is below st2_version: a MongoDB backup on the
 * controller when a migration cannot be undone, the migration scripts of every version
 * crossed, in order, content registered again, and the database's version recorded on the
 * controller (so a run that stopped half way does not run them twice).
 */
export function st2Upgrade(h: HostContext): Operation {
  const f = features(h);
  const names = packagesOf(f);
  const services = [...componentsButSingletons(h), ...(f.mistral ? ['mistral-api', 'mistral-server'] : [])];
  return {
    title: `st2 upgraded to ${f.version}`,
    facts: () => [installedPackages(names), serviceStates(services), osFacts()],
    async plan(host) {
      const from = await installedSt2(host);
      const changes: Change[] = [];
      let upgraded: string[] = [];
      if (from !== undefined && from !== f.version) {
        const vc = versionChange(from, f.version);
        if (vc.kind === 'refused') throw new PlaybookError(vc.reason, vc.remedy);
        const init = (await host.fact(osFacts())).init;
        const states = await host.fact(serviceStates(services));
        const running = services.filter((_, i) => states[i]!.known && states[i]!.running);
        const pinned = names.map((n) => `${n}=${f.version}-${host.settings.st2_package_revision}`);
        if (running.length) {
          changes.push(change({
            kind: 'service',
            summary: `stop ${running.join(', ')} gracefully (running actions finish first)`,
            disrupts: true,
            apply: async () => {
              for (const s of running) await serviceCommand(host, init, s, 'stop');
            },
          }));
        }
        const ours = [...OUR_CONFIG, ...(f.mistral ? ['/etc/mistral/mistral.conf'] : [])];
        upgraded = running;
        changes.push(change({
          kind: 'apt',
          summary: `upgrade ${names.join(', ')} ${from} → ${f.version}, keeping our configuration (dpkg --force-confold; ours put back if a package script edits it)`,
          disrupts: true,
          apply: async () => {
            await host.run('keeping our configuration', { argv: shellScript(KEEP, ours) });
            try {
              await install(host, pinned, false);
            } finally {
              await host.run('putting our configuration back', { argv: shellScript(PUT_BACK, ours) });
            }
          },
        }));
      }
      changes.push(...(await migrations(host, from)));
      if (upgraded.length) {
        const init = (await host.fact(osFacts())).init;
        const started = upgraded;
        changes.push(change({
          kind: 'service',
          summary: `start ${started.join(', ')} again on ${f.version}, each checked to stay up and answer`,
          apply: async () => {
            for (const s of started) await serviceCommand(host, init, s, 'start');
            await verifyRunning(host, init, started);
            await verifyListening(host, init, started.flatMap((name) => {
              const listens = listenerOf(host, name);
              return listens ? [{ name, listens }] : [];
            }));
          },
        }));
      }
      return changes;
    },
  };
}

/*
 * The config files st2prov writes on a blueprint. dpkg --force-confold keeps a conffile we
 * edited, but a package's own scripts may still edit one: each is copied aside before the
 * upgrade and put back after it if it changed, so our keys hold whatever the package did.
 */
const OUR_CONFIG = ['/etc/st2/st2.conf', '/etc/default/st2ctl', '/etc/st2/htpasswd', '/etc/st2/keys/datastore_key.json'];
const KEEP = 'for f; do [ -f "$f" ] && cp -p -- "$f" "$f.st2prov-keep"; done; exit 0';
const PUT_BACK = 'for f; do [ -f "$f.st2prov-keep" ] || continue; cmp -s -- "$f" "$f.st2prov-keep" || { cp -p -- "$f.st2prov-keep" "$f"; echo "put back $f" >&2; }; rm -f -- "$f.st2prov-keep"; done; exit 0';

const DATABASE_VERSION = '/var/lib/st2prov/st2-database-version';
const BACKUPS = '/var/backups/st2prov';
const BACKUP = `set -e
mkdir -p -m 0700 "$(dirname "$1")"
mongodump --quiet --host 127.0.0.1 --port 27017 --gzip --archive="$1.part"
mv "$1.part" "$1"`;
const RECORD = 'mkdir -p "$(dirname "$1")" && printf "%s\\n" "$2" > "$1.tmp" && mv "$1.tmp" "$1"';

/** The version of the installed st2 on a host, without its revision; undefined when not installed. */
async function installedSt2(h: HostContext): Promise<string | undefined> {
  const v = (await h.fact(installedPackages(['st2']))).get('st2');
  return v === undefined ? undefined : upstreamVersion(v);
}

/** The migrations this host runs for the cluster (see st2Upgrade); `here` is its st2 before the upgrade. */
async function migrations(host: HostContext, here: string | undefined): Promise<Change[]> {
  const f = features(host);
  const ctl = controllers(host.cluster)[0];
  if (!ctl) return [];
  const installed = new Map<string, string | undefined>();
  for (const b of blueprints(host.cluster).filter((x) => host.cluster.selected.includes(x.name))) {
    try {
      installed.set(b.name, b.name === host.name ? here : await installedSt2(await host.on(b)));
    } catch {
      installed.set(b.name, undefined);
    }
  }
  if (migrationNode(host.cluster, (b) => installed.get(b.name))?.name !== host.name) return [];
  const controller = await host.on(ctl);
  const record = await controller.fact(fileState(DATABASE_VERSION));
  // no record (a cluster st2prov did not upgrade before): the oldest st2 installed on a blueprint of the run
  const from = databaseVersion(record.exists ? (await fileText(controller, DATABASE_VERSION, record, 'reading the database version')).content.trim() : undefined, [...installed.values()]);
  if (from === undefined || from === f.version) return [];
  const vc: VersionChange = versionChange(from, f.version);
  if (vc.kind !== 'upgrade') return [];
  const changes: Change[] = [];
  if (vc.backup) {
    const file = `${BACKUPS}/mongodb-st2-${from}-to-${f.version}-${stamp()}.archive.gz`;
    changes.push(change({
      kind: 'migration',
      summary: `on ${ctl.name}: MongoDB backup to ${file} (a migration below cannot be undone)`,
      apply: async () => {
        await controller.run('MongoDB backup before the migrations', { argv: shellScript(BACKUP, [file]) });
        // from here on a run that stops half way knows where the database came from
        if (!record.exists) await controller.run('recording the database version', { argv: shellScript(RECORD, [DATABASE_VERSION, from]) });
      },
    }));
  }
  for (const m of vc.migrations) {
    changes.push(change({
      kind: 'migration',
      summary: `${m.since ? `v${m.since.replace(/\.0$/, '')} ` : ''}${m.argv[0]!.split('/').pop()}${m.argv.length > 1 && !m.since ? ` ${m.argv[m.argv.length - 1]}` : ''}: ${m.what} (once for the cluster)`,
      apply: async () => {
        await host.run(`migration ${m.argv.join(' ')}`, { argv: m.argv });
      },
    }));
  }
  changes.push(change({
    kind: 'migration',
    summary: `content registered for ${f.version}: st2ctl reload --register-all (once for the cluster)`,
    apply: async () => {
      await host.run('st2ctl reload --register-all', { argv: ['st2ctl', 'reload', '--register-all'] });
    },
  }));
  changes.push(change({
    kind: 'migration',
    summary: `on ${ctl.name}: the database is at ${f.version} (${DATABASE_VERSION})`,
    apply: async () => {
      await controller.run('recording the database version', { argv: shellScript(RECORD, [DATABASE_VERSION, f.version]) });
      controller.forget();
    },
  }));
  return changes;
}

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Before any host is touched: every blueprint of the run that has st2 installed can go to
 * st2_version in place; a version change StackStorm does not support is refused, with why.
 */
export function versionChangesSupported(): Operation {
  return {
    title: 'version changes StackStorm supports in place',
    async plan(local) {
      const target = features(local).version;
      const refused: string[] = [];
      let remedy = '';
      for (const b of blueprints(local.cluster).filter((x) => local.cluster.selected.includes(x.name))) {
        let from: string | undefined;
        try {
          from = await installedSt2(await local.on(b));
        } catch {
          continue; // unreachable: it fails alone, in its own play
        }
        if (from === undefined) continue;
        const vc = versionChange(from, target);
        if (vc.kind === 'refused') {
          refused.push(`${b.name}: ${vc.reason}`);
          remedy = vc.remedy;
        }
      }
      if (refused.length) throw new PlaybookError(`refused before any host was changed: ${refused.join('; ')}`, remedy);
      return [];
    },
  };
}
