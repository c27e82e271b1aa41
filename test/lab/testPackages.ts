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

function initScript(service: string, component: string, daemon = DAEMON): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          ${service}
# Required-Start:    $remote_fs $network
# Required-Stop:     $remote_fs $network
# Default-Start:     2 3 4 5
# Default-Stop:      0 1 6
# Short-Description: ${service} (st2prov lab stand-in)
### END INIT INFO
PIDFILE=/run/${service}.pid
# matched by pidfile: --exec /usr/bin/python3 never matches the python3.11 binary
start() { start-stop-daemon --start --quiet --background --make-pidfile --pidfile $PIDFILE --startas /usr/bin/python3 -- ${daemon} ${component}; }
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

function st2Package(version: string): PackageSpec {
  const [major, minor] = version.split('.').map(Number) as [number, number];
  const at = major * 100 + minor;
  const components = ST2_COMPONENTS.filter(([, from, to]) => at >= from && at < to).map(([c]) => c);
  const files: PackageSpec['files'] = {
    '/etc/st2/st2.conf': { content: st2Conf(major), conffile: true },
    '/etc/default/st2ctl': { content: '# Components st2ctl starts and stops; st2prov sets this per node.\n#COMPONENTS="st2api st2auth st2stream"\n', conffile: true },
    '/usr/bin/st2ctl': { content: readFileSync(join(sources, 'st2ctl'), 'utf8'), mode: 0o755 },
    [DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
    '/opt/stackstorm/packs/core/pack.yaml': { content: `name: core\ndescription: Basic core actions.\nversion: ${version}\n` },
    '/opt/stackstorm/packs/core/actions/local.yaml': { content: 'name: local\nrunner_type: local-shell-cmd\nenabled: true\n' },
    '/opt/stackstorm/packs/linux/pack.yaml': { content: `name: linux\ndescription: Generic Linux actions.\nversion: ${version}\n` },
  };
  for (const c of components) files[`/etc/init.d/${c}`] = { content: initScript(c, c), mode: 0o755, conffile: true };
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
for c in ${components.join(' ')}; do update-rc.d $c defaults >/dev/null; done
`,
  };
}

const SERVICE_POSTINST = (services: string[], start: boolean) => `#!/bin/sh
set -e
for s in ${services.join(' ')}; do
  update-rc.d $s defaults >/dev/null
  ${start ? 'invoke-rc.d $s start || true' : ':'}
done
`;

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

export function testPackages(): PackageSpec[] {
  return [
    st2Package('2.10.4'),
    st2Package('3.8.1'),
    {
      part: 'stackstorm',
      name: 'st2mistral',
      version: '2.10.4-1',
      depends: 'python3',
      description: 'Mistral workflow service for StackStorm (st2prov lab stand-in)',
      files: {
        '/etc/mistral/mistral.conf': { content: readFileSync(join(fixtures, 'mistral.conf'), 'utf8'), conffile: true },
        '/etc/init.d/mistral-api': { content: initScript('mistral-api', 'mistral-api', MISTRAL_DAEMON), mode: 0o755, conffile: true },
        '/etc/init.d/mistral-server': { content: initScript('mistral-server', 'mistral-server', MISTRAL_DAEMON), mode: 0o755, conffile: true },
        [MISTRAL_DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
      },
      postinst: SERVICE_POSTINST(['mistral-api', 'mistral-server'], false),
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
        '/etc/init.d/st2chatops': { content: initScript('st2chatops', 'st2chatops', CHATOPS_DAEMON), mode: 0o755, conffile: true },
        [CHATOPS_DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
      },
      postinst: SERVICE_POSTINST(['st2chatops'], false),
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
        '/etc/init.d/mongodb': { content: initScript('mongodb', 'mongodb', MONGODB_DAEMON), mode: 0o755, conffile: true },
        [MONGODB_DAEMON]: { content: readFileSync(join(sources, 'st2-lab-daemon'), 'utf8'), mode: 0o755 },
      },
      // like Debian's package: enabled and started on install
      postinst: SERVICE_POSTINST(['mongodb'], true).replace('set -e', 'set -e\nmkdir -p /var/lib/mongodb /var/log/mongodb'),
    },
  ];
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
