import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './sh.js';

/**
 * Packages the project builds for what Debian does not carry: StackStorm's st2, st2mistral,
 * st2web, st2chatops and Debian's old mongodb-server. Real file layouts; small daemons on
 * the real ports (see packages/st2-lab-daemon).
 */
const sources = fileURLToPath(new URL('../../../test/lab/packages/', import.meta.url));
const fixtures = fileURLToPath(new URL('../../../test/fixtures/', import.meta.url));

export interface PackageSpec {
  /** which part of the lab repository: the distribution's (debian) or StackStorm's */
  part: 'debian' | 'stackstorm';
  name: string;
  version: string;
  depends?: string;
  description: string;
  files: Record<string, { content: string; mode?: number; conffile?: boolean }>;
  postinst?: string;
}

const DAEMON = '/opt/stackstorm/st2/bin/st2-lab-daemon';
const MISTRAL_DAEMON = '/opt/stackstorm/mistral/bin/st2-lab-daemon';
const CHATOPS_DAEMON = '/opt/stackstorm/chatops/bin/st2-lab-daemon';
const MONGODB_DAEMON = '/usr/lib/mongodb/st2-lab-daemon';
const MONGOD_DAEMON = '/usr/bin/st2-lab-mongod';

/*
 * Every service ships both ways, as Debian packages do: an init script (used on sysvinit
 * hosts) and a systemd unit under /lib/systemd/system (used on systemd hosts, where the
 * init script hands over to systemctl through /lib/lsb/init-functions). The daemon's output
 * goes to the journal under systemd and to a log file under sysvinit.
 */
function initScript(service: string, component: string, daemon = DAEMON, logDir = '/var/log/st2', args = ''): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${service}
# Required-Start:    $remote_fs $network
# Required-Stop:     $remote_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ${service} (st2prov lab stand-in)
### END INIT INFO
# on a systemd host, "/etc/init.d/${service} start" becomes "systemctl start ${service}"
. /lib/lsb/init-functions
PIDFILE=/run/${service}.pid
# matched by pidfile: --exec /usr/bin/python3 never matches the python3.11 binary
start() { mkdir -p ${logDir}; start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --output ${logDir}/${service}.log --startas /usr/bin/python3 -- ${daemon} ${component}${args ? ` ${args}` : ''}; }
stop() { start-stop-daemon --stop --quiet --oknodo --pidfile $PIDFILE --retry TERM/5/KILL/2; rm -f $PIDFILE; }
case "$1" in
  start) start-stop-daemon --status --pidfile $PIDFILE && exit 0; start ;;
  stop) stop ;;
  restart|force-reload|reload) stop; start ;;
  status) start-stop-daemon --status --pidfile $PIDFILE ;;
  *) echo "Usage: $0 {start|stop|restart|reload|status}" >&2; exit 3 ;;
esac
`;
}

interface UnitSpec {
  description: string;
  after?: string;
  type?: 'simple' | 'oneshot';
  user?: string;
  group?: string;
  umask?: string;
  environment?: string[];
  environmentFile?: string;
  execStart: string;
  execStop?: string;
  /** the long-running daemons of StackStorm's packages: restarted on failure after 5 s */
  restartOnFailure?: boolean;
  extra?: string[];
}

function unitFile(u: UnitSpec): string {
  const lines = ['[Unit]', `Description=${u.description}`, `After=${u.after ?? 'network.target'}`, '', '[Service]', `Type=${u.type ?? 'simple'}`];
  if (u.user) lines.push(`User=${u.user}`);
  if (u.group) lines.push(`Group=${u.group}`);
  if (u.umask) lines.push(`UMask=${u.umask}`);
  for (const e of u.environment ?? []) lines.push(`Environment="${e}"`);
  if (u.environmentFile) lines.push(`EnvironmentFile=-${u.environmentFile}`);
  lines.push(`ExecStart=${u.execStart}`);
  if (u.execStop) lines.push(`ExecStop=${u.execStop}`);
  lines.push(...(u.extra ?? []));
  if (u.restartOnFailure) lines.push('TimeoutSec=60', 'PrivateTmp=true', 'Restart=on-failure', 'RestartSec=5');
  lines.push('', '[Install]', 'WantedBy=multi-user.target', '');
  return lines.join('\n');
}

/** A StackStorm component's unit, as st2's packages have one per component. */
function st2Unit(component: string): string {
  return unitFile({
    description: `StackStorm service ${component}`,
    user: 'st2',
    group: 'st2',
    environment: ['DAEMON_ARGS=--config-file /etc/st2/st2.conf'],
    environmentFile: `/etc/default/${component}`,
    execStart: `${DAEMON} ${component} $DAEMON_ARGS`,
    restartOnFailure: true,
  });
}

/*
 * st2actionrunner is a oneshot that starts N worker instances st2actionrunner@1..N (StackStorm
 * starts 10; the lab's stand-in 2 unless WORKERS says otherwise, to keep 20 blueprints light).
 */
const RUNNERS = `#!/bin/sh
# st2prov lab stand-in for StackStorm's runners.sh: start or stop the action runner workers.
WORKERS="\${WORKERS:-2}"
[ -n "$1" ] || { echo "Usage: $0 start|stop" >&2; exit 99; }
rc=0
for i in $(seq 1 "$WORKERS"); do systemctl "$1" "st2actionrunner@$i" || rc=1; done
exit $rc
`;

/** What debhelper's postinst does for a unit: enable it on first install (and keep an admin's choice on upgrades). */
function enableUnits(units: string[], start: boolean): string {
  return `if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi
for u in ${units.join(' ')}; do
  deb-systemd-helper unmask "$u.service" >/dev/null || true
  if deb-systemd-helper --quiet was-enabled "$u.service"; then deb-systemd-helper enable "$u.service" >/dev/null || true
  else deb-systemd-helper update-state "$u.service" >/dev/null || true; fi
  update-rc.d "$u" defaults >/dev/null
  ${start ? 'invoke-rc.d "$u" start || true' : ':'}
done
`;
}

function st2Conf(major: number): string {
  return `# System-wide configuration

[api]
# Host and port to bind the API server.
host = 127.0.0.1
port = 9101
use_ssl = False
logging = /etc/st2/logging.api.conf
mask_secrets = True
# allow_origin is required for handling CORS in st2 web UI.
# allow_origin = http://myhost1.example.com:3000,http://myhost2.example.com:3000
allow_origin = *

[stream]
logging = /etc/st2/logging.stream.conf

[sensorcontainer]
logging = /etc/st2/logging.sensorcontainer.conf

[rulesengine]
logging = /etc/st2/logging.rulesengine.conf

[actionrunner]
logging = /etc/st2/logging.actionrunner.conf

[notifier]
logging = /etc/st2/logging.notifier.conf

[garbagecollector]
logging = /etc/st2/logging.garbagecollector.conf
${major >= 3 ? '\n[timersengine]\nlogging = /etc/st2/logging.timersengine.conf\n' : ''}
[auth]
host = 127.0.0.1
port = 9100
use_ssl = False
debug = False
enable = True
logging = /etc/st2/logging.auth.conf

mode = standalone

# Note: Settings below are only used in "standalone" mode
backend = flat_file
backend_kwargs = {"file_path": "/etc/st2/htpasswd"}

# Base URL to the API endpoint excluding the version (e.g. http://myhost.net:9101/)
api_url = http://127.0.0.1:9101/

[system]
base_path = /opt/stackstorm

[syslog]
host = 127.0.0.1
port = 514
facility = local7
protocol = udp

[log]
excludes = requests,paramiko
redirect_stderr = False
mask_secrets = True

[system_user]
user = stanley
ssh_key_file = /home/stanley/.ssh/stanley_rsa

[messaging]
url = amqp://guest:guest@127.0.0.1:5672/

[ssh_runner]
remote_dir = /tmp
${major < 3 ? '\n[mistral]\nv2_base_url = http://127.0.0.1:8989/v2\n' : ''}`;
}

const ST2_COMPONENTS: [string, number, number][] = [
  // component, first major.minor×100, last (exclusive) — as StackStorm shipped them
  ['st2api', 0, Infinity],
  ['st2auth', 0, Infinity],
  ['st2stream', 0, Infinity],
  ['st2actionrunner', 0, Infinity],
  ['st2rulesengine', 0, Infinity],
  ['st2sensorcontainer', 0, Infinity],
  ['st2notifier', 0, Infinity],
  ['st2garbagecollector', 0, Infinity],
  ['st2workflowengine', 208, Infinity],
  ['st2timersengine', 209, Infinity],
  ['st2scheduler', 210, Infinity],
  ['st2resultstracker', 0, 304],
];

/*
 * StackStorm's data migration scripts (st2common/bin/migrations/v*), shipped in
 * /opt/stackstorm/st2/bin by every version from the one that needs them on. The stand-ins
 * record each run (time, script, host, version) in /var/log/st2/migrations.log, so a test can
 * count them.
 */
const MIGRATIONS: [number, string][] = [
  [201, 'st2-migrate-datastore-scopes'],
  [301, 'st2-cleanup-policy-delayed'],
  [305, 'st2-migrate-db-dict-field-values'],
  [308, 'st2-drop-st2exporter-marker-collections'],
  [309, 'st2-migrate-liveaction-executiondb'],
];

const migrationScript = (name: string, version: string) => `#!/bin/sh
# st2prov lab stand-in for StackStorm's ${name}: records each run.
[ "$1" = --config-file ] && [ -r "$2" ] || { echo "usage: $0 --config-file /etc/st2/st2.conf" >&2; exit 2; }
mkdir -p /var/log/st2
echo "$(date +%s.%N) ${name} $(hostname) ${version}" >> /var/log/st2/migrations.log
echo "${name}: done"
`;

/*
 * MongoDB's mongodump and mongorestore (mongodb-clients, mongodb-database-tools), imitated: the
 * lab's mongod keeps no data, so a "database" here is the folder of that name in its data
 * directory (dbpath from the config), one file per collection, written by tests. mongodump puts
 * those folders (--db: that one) in a gzip tar archive; mongorestore --drop replaces each folder
 * the archive holds (--nsInclude DB.*: that one) with the archive's. As with the real tools,
 * --archive=FILE is that file and --archive alone is stdout (mongodump) or stdin (mongorestore),
 * streamed: neither holds the archive in memory, so a test can dump and restore a collection of
 * GBs. gzip at level 1: a test's large collection is random bytes, which no level shrinks. Both
 * refuse when mongod does not answer on --host/--port, as the real tools do.
 */
const MONGO_TOOLS_COMMON = `import gzip, os, re, socket, sys, tarfile
argv = sys.argv[1:]
def opt(name, default=None):
    if name in argv:
        return argv[argv.index(name) + 1]
    return next((a.split("=", 1)[1] for a in argv if a.startswith(name + "=")), default)
host, port = opt("--host", "127.0.0.1"), int(opt("--port", "27017"))
archive = next((a.split("=", 1)[1] for a in argv if a.startswith("--archive=")), "-" if "--archive" in argv else None)
if not archive:
    sys.exit(f"{TOOL}: the lab stand-in needs --archive or --archive=FILE")
try:
    socket.create_connection((host, port), timeout=5).close()
except OSError as err:
    sys.exit(f"{TOOL}: cannot reach {host}:{port}: {err}")
def dbpath():
    for conf, pattern in (("/etc/mongod.conf", r"^\\s*dbPath:\\s*(\\S+)"), ("/etc/mongodb.conf", r"^\\s*dbpath\\s*=\\s*(\\S+)")):
        if os.path.exists(conf):
            m = re.search(pattern, open(conf).read(), re.M)
            if m:
                return m.group(1)
    return "/var/lib/mongodb"
DATA = dbpath()
`;

const MONGODUMP = `#!/usr/bin/python3
# st2prov lab stand-in for mongodump: [--host H] [--port P] [--db NAME] --gzip --archive[=FILE]
TOOL = "mongodump"
${MONGO_TOOLS_COMMON}
db = opt("--db")
names = [db] if db else sorted(n for n in os.listdir(DATA) if os.path.isdir(os.path.join(DATA, n)))
sink = sys.stdout.buffer if archive == "-" else open(archive, "wb")
with gzip.GzipFile(fileobj=sink, mode="wb", compresslevel=1) as zipped, tarfile.open(fileobj=zipped, mode="w|") as out:
    for name in names:
        if os.path.isdir(os.path.join(DATA, name)):
            out.add(os.path.join(DATA, name), arcname=name)
sink.flush()
`;

const MONGORESTORE = `#!/usr/bin/python3
# st2prov lab stand-in for mongorestore: [--host H] [--port P] [--nsInclude DB.*] [--drop] --gzip --archive[=FILE]
import shutil
TOOL = "mongorestore"
${MONGO_TOOLS_COMMON}
only = (opt("--nsInclude") or "").split(".")[0] or None
source = sys.stdin.buffer if archive == "-" else open(archive, "rb")
dropped = set()
with tarfile.open(fileobj=gzip.GzipFile(fileobj=source, mode="rb"), mode="r|") as dump:
    for member in dump:
        name = member.name.split("/")[0]
        if only is not None and name != only:
            continue
        if "--drop" in argv and name not in dropped:
            shutil.rmtree(os.path.join(DATA, name), ignore_errors=True)
            dropped.add(name)
        try:
            dump.extract(member, DATA, filter="data")
        except TypeError:  # a Python without extraction filters (before 3.11.4): the archive is our own mongodump's
            dump.extract(member, DATA)
`;

function st2Package(version: string): PackageSpec {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const at = major * 100 + minor;
  const components = ST2_COMPONENTS.filter(([, from, to]) => at >= from && at < to).map(([c]) => c);
  const files: PackageSpec['files'] = {
    '/etc/st2/st2.conf': { content: st2Conf(major), conffile: true },
    '/etc/default/st2ctl': { content: '# Components st2ctl starts and stops; st2prov sets this per node.\n#COMPONENTS="st2api st2auth st2stream"\n', conffile: true },
    '/usr/bin/st2ctl': { content: readFileSync(join(sources, 'st2ctl'), 'utf8'), mode: 0o755 },
    [DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
    '/opt/stackstorm/st2/bin/st2-pack-install': { content: readFileSync(join(sources, 'st2-pack-install'), 'utf8'), mode: 0o755 },
    '/opt/stackstorm/packs/core/pack.yaml': { content: `name: core\ndescription: Basic core actions.\nversion: ${version}\n` },
    '/opt/stackstorm/packs/core/actions/local.yaml': { content: 'name: local\nrunner_type: local-shell-cmd\nenabled: true\n' },
    '/opt/stackstorm/packs/linux/pack.yaml': { content: `name: linux\ndescription: Generic Linux actions.\nversion: ${version}\n` },
  };
  for (const c of components) {
    files[`/etc/init.d/${c}`] = { content: initScript(c, c), mode: 0o755, conffile: true };
    if (c !== 'st2actionrunner') files[`/lib/systemd/system/${c}.service`] = { content: st2Unit(c) };
  }
  files['/opt/stackstorm/st2/bin/runners.sh'] = { content: RUNNERS, mode: 0o755 };
  for (const [since, name] of MIGRATIONS) if (at >= since) files[`/opt/stackstorm/st2/bin/${name}`] = { content: migrationScript(name, version), mode: 0o755 };
  files['/lib/systemd/system/st2actionrunner.service'] = {
    content: unitFile({
      description: 'StackStorm service st2actionrunner',
      after: 'network.target',
      type: 'oneshot',
      environmentFile: '/etc/default/st2actionrunner',
      execStart: '/bin/sh /opt/stackstorm/st2/bin/runners.sh start',
      execStop: '/bin/sh /opt/stackstorm/st2/bin/runners.sh stop',
      extra: ['RemainAfterExit=true'],
    }),
  };
  files['/lib/systemd/system/st2actionrunner@.service'] = {
    content: unitFile({
      description: 'StackStorm service st2actionrunner',
      user: 'root',
      group: 'st2packs',
      umask: '002',
      environment: ['DAEMON_ARGS=--config-file /etc/st2/st2.conf', 'WORKERID=%i'],
      environmentFile: '/etc/default/st2actionrunner',
      execStart: `${DAEMON} st2actionrunner $DAEMON_ARGS`,
      restartOnFailure: true,
    }),
  };
  return {
    part: 'stackstorm',
    name: 'st2',
    version: `${version}-1`,
    depends: 'python3',
    description: 'StackStorm event-driven automation (st2prov lab stand-in)',
    files,
    postinst: `#!/bin/sh
set -e
getent passwd st2 >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin st2
getent passwd stanley >/dev/null || useradd --create-home --shell /bin/bash stanley
getent group st2packs >/dev/null || groupadd st2packs
mkdir -p /var/log/st2
# the lab's imitation of st2auth's tokens and st2api's keys (st2-lab-daemon)
install -d -o st2 -g st2 -m 0700 /var/lib/st2-lab-auth
${enableUnits(components, false)}`,
  };
}

const SERVICE_POSTINST = (services: string[], start: boolean, before = '') => `#!/bin/sh
set -e
${before}${enableUnits(services, start)}`;

const MONGODB_CONF = `# mongodb.conf

# Where to store the data.
dbpath=/var/lib/mongodb

#where to log
logpath=/var/log/mongodb/mongodb.log

logappend=true

bind_ip = 127.0.0.1
#port = 27017

# Enable journaling, http://www.mongodb.org/display/DOCS/Journaling
journal=true

# Enables periodic logging of CPU utilization and I/O wait
#cpu = true

# Turn on/off security.  Off is currently the default
#noauth = true
#auth = true
`;

const MONGODB_USER = `getent passwd mongodb >/dev/null || useradd --system --home-dir /var/lib/mongodb --shell /usr/sbin/nologin mongodb
mkdir -p /var/lib/mongodb /var/log/mongodb
chown mongodb:mongodb /var/lib/mongodb /var/log/mongodb
`;

const MONGOD_CONF = `# mongod.conf

# for documentation of all options, see:
#   http://docs.mongodb.org/manual/reference/configuration-options/

# Where and how to store data.
storage:
  dbPath: /var/lib/mongodb
  journal:
    enabled: true

# where to write logging data.
systemLog:
  destination: file
  logAppend: true
  path: /var/log/mongodb/mongod.log

# network interfaces
net:
  port: 27017
  bindIp: 127.0.0.1

# how the process runs
processManagement:
  timeZoneInfo: /usr/share/zoneinfo
`;

export function testPackages(): PackageSpec[] {
  return [
    st2Package('2.10.4'),
    // three 3.x versions, for rolling upgrades across migrations: 3.4.1 → 3.8.1 crosses v3.5 and v3.8, → 3.9.0 crosses v3.9
    st2Package('3.4.1'),
    st2Package('3.8.1'),
    st2Package('3.9.0'),
    {
      part: 'stackstorm',
      name: 'st2mistral',
      version: '2.10.4-1',
      depends: 'python3',
      description: 'Mistral workflow service for StackStorm (st2prov lab stand-in)',
      files: {
        '/etc/mistral/mistral.conf': { content: readFileSync(join(fixtures, 'mistral.conf'), 'utf8'), conffile: true },
        '/etc/init.d/mistral-api': { content: initScript('mistral-api', 'mistral-api', MISTRAL_DAEMON, '/var/log/mistral'), mode: 0o755, conffile: true },
        '/etc/init.d/mistral-server': { content: initScript('mistral-server', 'mistral-server', MISTRAL_DAEMON, '/var/log/mistral'), mode: 0o755, conffile: true },
        '/lib/systemd/system/mistral-api.service': { content: unitFile({ description: 'Mistral workflow service api', user: 'mistral', group: 'mistral', environmentFile: '/etc/default/mistral', execStart: `${MISTRAL_DAEMON} mistral-api --config-file /etc/mistral/mistral.conf`, extra: ['PrivateTmp=true'] }) },
        '/lib/systemd/system/mistral-server.service': { content: unitFile({ description: 'Mistral workflow service (engine/executor)', user: 'mistral', group: 'mistral', environmentFile: '/etc/default/mistral', execStart: `${MISTRAL_DAEMON} mistral-server --config-file /etc/mistral/mistral.conf` }) },
        [MISTRAL_DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
      },
      postinst: SERVICE_POSTINST(['mistral-api', 'mistral-server'], false, 'getent passwd mistral >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin mistral\n'),
    },
    {
      part: 'stackstorm',
      name: 'st2web',
      version: '3.8.1-1',
      description: 'StackStorm web UI (st2prov lab stand-in)',
      files: {
        '/opt/stackstorm/static/webui/index.html': { content: '<!doctype html>\n<html><head><title>StackStorm</title></head><body><div id="st2web">st2web</div></body></html>\n' },
        '/opt/stackstorm/static/webui/config.js': { content: "angular.module('main').constant('st2Config', { hosts: [] });\n", conffile: true },
      },
    },
    {
      part: 'stackstorm',
      name: 'st2chatops',
      version: '3.8.1-1',
      depends: 'python3',
      description: 'StackStorm ChatOps (st2prov lab stand-in)',
      files: {
        '/opt/stackstorm/chatops/st2chatops.env': { content: '# export ST2_API_URL="https://localhost/api"\n# export HUBOT_ADAPTER=slack\n', conffile: true },
        '/etc/init.d/st2chatops': { content: initScript('st2chatops', 'st2chatops', CHATOPS_DAEMON, '/var/log/st2'), mode: 0o755, conffile: true },
        '/lib/systemd/system/st2chatops.service': { content: unitFile({ description: 'StackStorm service st2chatops', user: 'st2', group: 'st2', environment: ["DAEMON_ARGS=''"], environmentFile: '/etc/default/st2chatops', execStart: `${CHATOPS_DAEMON} st2chatops $DAEMON_ARGS`, extra: ['WorkingDirectory=/opt/stackstorm/chatops'], restartOnFailure: true }) },
        [CHATOPS_DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
      },
      postinst: SERVICE_POSTINST(['st2chatops'], false, 'getent passwd st2 >/dev/null || useradd --system --no-create-home --shell /usr/sbin/nologin st2\n'),
    },
    {
      // Debian and Ubuntu carried it until their releases after 2018: it stands in the distribution's part
      part: 'debian',
      name: 'mongodb-server',
      version: '1:2.4.14-4',
      depends: 'python3',
      description: 'object/document-oriented database (st2prov lab stand-in)',
      files: {
        '/etc/mongodb.conf': { content: MONGODB_CONF, conffile: true },
        '/etc/init.d/mongodb': { content: initScript('mongodb', 'mongodb', MONGODB_DAEMON, '/var/log/mongodb'), mode: 0o755, conffile: true },
        '/lib/systemd/system/mongodb.service': { content: unitFile({ description: 'An object/document-oriented database', user: 'mongodb', group: 'mongodb', environmentFile: '/etc/default/mongodb', execStart: `${MONGODB_DAEMON} mongodb --config /etc/mongodb.conf`, extra: ['RuntimeDirectory=mongodb'] }) },
        [MONGODB_DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
        // Debian's mongodb-server depends on mongodb-clients, which has it
        '/usr/bin/mongodump': { content: MONGODUMP, mode: 0o755 },
        '/usr/bin/mongorestore': { content: MONGORESTORE, mode: 0o755 },
      },
      // like Debian's package: enabled and started on install
      postinst: SERVICE_POSTINST(['mongodb'], true, MONGODB_USER),
    },
    {
      // MongoDB Inc.'s packages (what StackStorm 3.x installs): YAML config, service mongod, neither
      // enabled nor started on install. In the distribution's part: the controller installs MongoDB
      // before it adds StackStorm's repository
      part: 'debian',
      name: 'mongodb-org',
      version: '4.4.29',
      depends: 'python3',
      description: 'MongoDB open source document-oriented database system (st2prov lab stand-in)',
      files: {
        '/etc/mongod.conf': { content: MONGOD_CONF, conffile: true },
        '/etc/init.d/mongod': { content: initScript('mongod', 'mongod', MONGOD_DAEMON, '/var/log/mongodb'), mode: 0o755, conffile: true },
        '/lib/systemd/system/mongod.service': { content: unitFile({ description: 'MongoDB Database Server', user: 'mongodb', group: 'mongodb', environmentFile: '/etc/default/mongod', execStart: `${MONGOD_DAEMON} mongod --config /etc/mongod.conf`, extra: ['RuntimeDirectory=mongodb'] }) },
        [MONGOD_DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
        // mongodb-org depends on mongodb-database-tools, which has it
        '/usr/bin/mongodump': { content: MONGODUMP, mode: 0o755 },
        '/usr/bin/mongorestore': { content: MONGORESTORE, mode: 0o755 },
      },
      postinst: `#!/bin/sh\nset -e\n${MONGODB_USER}if [ -d /run/systemd/system ]; then systemctl --system daemon-reload >/dev/null || true; fi\n`,
    },
  ];
}

/**
 * A pack the lab serves as a git repository would be, for the st2-pack-install stand-in:
 * one tarball per ref, at packs/REPOSITORY/REF.tar.gz in the lab repository.
 */
export interface LabPack {
  repository: string;
  ref: string;
  files: Record<string, string>;
}

export function labPacks(): LabPack[] {
  return [{
    repository: 'hello_lab.git',
    ref: 'v1.0.0',
    files: {
      'pack.yaml': 'ref: hello_lab\nname: hello_lab\ndescription: a pack the lab serves for st2-pack-install\nversion: 1.0.0\nauthor: st2prov lab\n',
      'requirements.txt': 'six\n',
      'actions/greet.yaml': 'name: greet\nrunner_type: python-script\nentry_point: greet.py\n',
      'actions/greet.py': 'from st2common.runners.base_action import Action\n\n\nclass Greet(Action):\n    def run(self):\n        return "hello from the lab"\n',
      'sensors/tick.yaml': 'class_name: Tick\nentry_point: tick.py\npoll_interval: 60\n',
      'sensors/tick.py': 'from st2reactor.sensor.base import PollingSensor\n\n\nclass Tick(PollingSensor):\n    def poll(self):\n        pass\n',
    },
  }];
}

/** Writes each lab pack's tarball under `outDir`/packs. */
export function buildLabPacks(outDir: string): void {
  for (const pack of labPacks()) {
    const root = mkdtempSync(join(tmpdir(), 'st2lab-pack-'));
    try {
      for (const [path, content] of Object.entries(pack.files)) {
        mkdirSync(join(root, dirname(path)), { recursive: true });
        writeFileSync(join(root, path), content);
      }
      mkdirSync(join(outDir, 'packs', pack.repository), { recursive: true });
      run('tar', ['-czf', join(outDir, 'packs', pack.repository, `${pack.ref}.tar.gz`), '--owner=0', '--group=0', '-C', root, '.']);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }
}

/** Builds one .deb with dpkg-deb into `outDir`; returns its file name. */
export function buildPackage(spec: PackageSpec, outDir: string): string {
  const root = mkdtempSync(join(tmpdir(), `st2lab-deb-${spec.name}-`));
  try {
    mkdirSync(join(root, 'DEBIAN'));
    for (const [path, file] of Object.entries(spec.files)) {
      mkdirSync(join(root, dirname(path)), { recursive: true });
      writeFileSync(join(root, path), file.content);
      chmodSync(join(root, path), file.mode ?? 0o644);
    }
    const conffiles = Object.entries(spec.files).filter(([, f]) => f.conffile).map(([p]) => p);
    if (conffiles.length) writeFileSync(join(root, 'DEBIAN/conffiles'), `${conffiles.join('\n')}\n`);
    writeFileSync(join(root, 'DEBIAN/control'), [
      `Package: ${spec.name}`,
      `Version: ${spec.version}`,
      'Architecture: all',
      'Maintainer: st2prov lab <lab@st2prov.invalid>',
      ...(spec.depends ? [`Depends: ${spec.depends}`] : []),
      'Section: admin',
      'Priority: optional',
      `Description: ${spec.description}`,
      '',
    ].join('\n'));
    if (spec.postinst) {
      writeFileSync(join(root, 'DEBIAN/postinst'), spec.postinst);
      chmodSync(join(root, 'DEBIAN/postinst'), 0o755);
    }
    const file = `${spec.name}_${spec.version.replace(/^\d+:/, '')}_all.deb`;
    run('dpkg-deb', ['--root-owner-group', '-Zxz', '--build', root, join(outDir, file)]);
    return file;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}
