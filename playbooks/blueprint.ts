import type { HostContext } from '../src/core/context.js';
import type { Play } from '../src/core/operation.js';
import { ENV_STYLE } from '../src/edit/confKey.js';
import * as ops from '../src/ops/index.js';
import { GRACEFUL_STOP_DROP_IN, gracefulStopUnits } from '../src/stackstorm/gracefulStop.js';
import { SENSOR_PARTITIONS_FILE, nodeRoles } from '../src/stackstorm/haRules.js';
import { answering } from '../src/stackstorm/listeners.js';
import { HTPASSWD, authBackend, redactAuthKwargs } from '../src/stackstorm/auth.js';
import { apiNode, chatopsController } from '../src/stackstorm/chatops.js';
import { DATASTORE_KEY, STANLEY_KEYS, blueprintPair, htpasswd } from '../src/stackstorm/material.js';
import { st2Repository } from '../src/stackstorm/repository.js';
import { isTier, loadBalancerUrl, validateCluster } from '../src/stackstorm/topology.js';
import { amqpClusterUrls, amqpUrl, coordinationUrl, databaseHost, mistralDatabaseUrl } from '../src/stackstorm/urls.js';
import { st2Components, st2Features } from '../src/stackstorm/versions.js';
import { blueprintDrain, componentsButSingletons, singletonServices, singletons, st2Installed, st2Upgrade, versionChangesSupported } from '../src/stackstorm/rolling.js';
import { materialPlay } from './material.js';

/**
 * The guide's blueprint box, in the guide's order: N identical boxes behind the controller,
 * identical but for the per-node keys of the HA rules. Every step but starting st2 uses
 * nothing of the controller's (repositories, packages, files), so it runs while the
 * controller is still being set up; st2 starts once the controller is done.
 */
const features = (h: HostContext) => st2Features(h.settings.st2_version);
const pinned = (h: HostContext, name: string) => `${name}=${features(h).version}-${h.settings.st2_package_revision}`;
const node = (h: HostContext) => nodeRoles(h.cluster, h.host);
const INSTALL = 'install st2, st2mistral and nginx';

const UPGRADE = 'st2 upgraded in its turn: stopped gracefully, packages upgraded keeping our configuration, migrations once';

const mistralConf = (h: HostContext) => features(h).mistral &&
  ops.iniKeys('/etc/mistral/mistral.conf', [
    ['database', 'connection', mistralDatabaseUrl(h)],
    ['DEFAULT', 'transport_url', amqpUrl(h, 'rabbit')],
  ], { notify: ['restart mistral'] });

const st2Conf = (h: HostContext) =>
  ops.template('st2.conf.ejs', {
    features: features(h),
    node: { name: h.name, ...node(h) },
    controller: databaseHost(h),
    lb_url: loadBalancerUrl(h.cluster),
    messaging_url: amqpUrl(h, 'amqp'),
    ...(isTier(h.cluster) ? { messaging_cluster_urls: amqpClusterUrls(h) } : {}),
    coordination_url: coordinationUrl(h),
    auth: authBackend(h),
  }, { path: '/etc/st2/st2.conf', mode: '0640', owner: 'root:st2', notify: ['restart st2'], redact: redactAuthKwargs });

const st2ctlComponents = (h: HostContext) => ops.confKey('/etc/default/st2ctl', 'COMPONENTS', node(h).components, { style: ENV_STYLE, notify: ['restart st2'] });

export const blueprintPlay: Play = {
  name: 'blueprint',
  hosts: 'blueprint',
  needs: 'controller',
  validate: (cluster) => validateCluster(cluster, { needsController: true }),
  // a blueprint with st2 installed serves: it takes turns, and is drained in its turn before what disrupts it
  serving: () => st2Installed(),
  drain: blueprintDrain,
  steps: [
    { name: 'StackStorm apt repository', independent: true, tags: ['repository'], run: (h) => st2Repository(h.settings) },
    // the guide's steps 2 and 3 in one apt transaction
    // the pinned version on a fresh host; an installed st2 of another version is upgraded in its turn (below)
    { name: INSTALL, independent: true, tags: ['packages'], run: (h) => ops.packages([pinned(h, 'st2'), ...(features(h).mistral ? [pinned(h, 'st2mistral')] : []), 'nginx'], { newOnly: true }) },
    { name: 'mistral.conf: database and messaging at the controller', independent: true, after: INSTALL, tags: ['mistral'], run: mistralConf },
    { name: 'st2auth users, the same htpasswd on every blueprint', independent: true, after: INSTALL, tags: ['auth'], run: (h) =>
      ops.file({ path: HTPASSWD, content: htpasswd(h), mode: '0640', owner: 'root:st2', notify: ['restart st2'] }) },
    { name: 'cluster secrets: datastore key and stanley key pair', independent: true, after: INSTALL, tags: ['auth'], run: (h) => {
      const key = h.material(DATASTORE_KEY);
      const stanley = h.material(STANLEY_KEYS);
      return [
        ops.directory('/etc/st2/keys', { mode: '0750', owner: 'root:st2' }),
        ops.file({ path: '/etc/st2/keys/datastore_key.json', content: key['datastore_key.json']!, mode: '0640', owner: 'root:st2', notify: ['restart st2'] }),
        ops.directory('/home/stanley/.ssh', { mode: '0700', owner: 'stanley:stanley' }),
        ops.file({ path: '/home/stanley/.ssh/stanley_rsa', content: stanley['stanley_rsa']!, mode: '0600', owner: 'stanley:stanley' }),
        ops.file({ path: '/home/stanley/.ssh/stanley_rsa.pub', content: stanley['stanley_rsa.pub']!, mode: '0644', owner: 'stanley:stanley' }),
        ops.file({ path: '/home/stanley/.ssh/authorized_keys', content: stanley['stanley_rsa.pub']!, mode: '0600', owner: 'stanley:stanley' }),
      ];
    } },
    // the guide's step 8 (authentication) is the [auth] section of this shared file
    { name: 'the shared st2.conf, pointing at the controller', independent: true, after: INSTALL, tags: ['st2conf'], run: st2Conf },
    // its own certificate, signed by the cluster CA, which the load balancer verifies
    { name: 'blueprint nginx: TLS termination for this box’s services', independent: true, after: INSTALL, tags: ['nginx'], run: (h) => [
      ...ops.tlsFiles(blueprintPair(h), { notify: ['reload nginx'] }),
      ops.absent('/etc/nginx/sites-enabled/default', { notify: ['reload nginx'] }),
      ops.nginxConfig('nginx-blueprint.conf.ejs', '/etc/nginx/conf.d/st2.conf', { mistral: features(h).mistral }, ['reload nginx']),
      ops.service(answering(h, { name: 'nginx', state: 'started', enabled: true })),
    ] },
    { name: 'HA roles of this node: timers, garbage collector, sensors', independent: true, after: INSTALL, tags: ['ha'], run: (h) => [
      st2ctlComponents(h),
      node(h).partitionProvider?.startsWith('name:file') && ops.copy(h.settings.sensor_partitions_file!, { path: SENSOR_PARTITIONS_FILE, mode: '0644', owner: 'root:root', notify: ['restart st2'] }),
    ] },
    { name: 'packs synced from the control machine', independent: true, after: INSTALL, tags: ['packs'], run: (h) =>
      ops.dirSync({ source: h.settings.packs_dir, optional: true, dest: '/opt/stackstorm/packs', delete: h.settings.packs_delete, keep: h.settings.st2_packs.map((p) => p.name), notify: node(h).registersContent ? ['register content'] : [] }) },
    // the same code and virtualenv on every blueprint; registered once; each sensor node runs the new sensors' code
    { name: 'packs installed with st2-pack-install', independent: true, after: INSTALL, tags: ['packs'], run: (h) =>
      ops.packInstall({ packs: h.settings.st2_packs, notify: [...(node(h).registersContent ? ['register content'] : []), ...(node(h).sensors ? ['restart sensors'] : [])] }) },
    { name: 'systemd: st2 gets the time it needs to stop gracefully', independent: true, after: INSTALL, tags: ['services'], run: (h) =>
      gracefulStopUnits(features(h)).map((unit) => ops.systemdDropIn({ unit, name: 'st2prov-graceful-stop.conf', content: GRACEFUL_STOP_DROP_IN })) },
    // from here on a blueprint that serves takes its turn: drained before what disrupts it, put back after its handlers
    { name: UPGRADE, rolling: true, after: INSTALL, tags: ['packages', 'upgrade'], run: st2Upgrade },
    // the singletons (timers engine, garbage collector) are the next step's: here only whether they start at boot
    { name: 'st2 services: this node’s run, the others stay off', after: INSTALL, tags: ['services'], run: (h) => ops.services([
      ...st2Components(features(h)).map((name) => singletonServices(features(h)).includes(name)
        ? { name, enabled: node(h).components.includes(name) }
        : node(h).components.includes(name) ? answering(h, { name, state: 'started' as const, enabled: true }) : { name, state: 'stopped' as const, enabled: false }),
      ...(features(h).mistral ? ['mistral-api', 'mistral-server'].map((name) => answering(h, { name, state: 'started' as const, enabled: true })) : []),
    ]) },
    { name: 'singletons: timers and the garbage collector on their node only', after: INSTALL, tags: ['services', 'ha'], run: singletons },
    // once for the cluster, on one node: st2 keeps API keys in MongoDB
    { name: 'st2chatops’ API key registered with st2 (once, on the content node)', after: INSTALL, tags: ['chatops'], run: (h) => h.settings.st2_chatops && h.host === apiNode(h.cluster) &&
      ops.st2ApiKey({
        key: h.secret('st2_chatops_api_key'),
        user: h.settings.st2_auth_username,
        password: h.secret('st2_auth_password'),
        usedBy: 'st2chatops',
        restartOn: chatopsController(h.cluster),
      }) },
  ],
  handlers: {
    'restart mistral': (h) => ops.services(['mistral-api', 'mistral-server'].map((name) => answering(h, { name, state: 'restarted' as const }))),
    // this node's components, each checked to stay up (st2ctl restart stops all, then starts all, and ignores a failure);
    // its singletons restart through the drain: handed over, then back
    'restart st2': (h) => ops.services(componentsButSingletons(h).map((name) => answering(h, { name, state: 'restarted' as const }))),
    'reload nginx': (h) => ops.service(answering(h, { name: 'nginx', state: 'reloaded' })),
    'register content': () => ops.command({ summary: 'st2ctl reload --register-all (once for the cluster)', argv: ['st2ctl', 'reload', '--register-all'] }),
    // after 'register content': on the content node its sensors restart once the new content is registered
    'restart sensors': (h) => ops.service(answering(h, { name: 'st2sensorcontainer', state: 'restarted' })),
  },
};

/** Before any host: a version change StackStorm does not support in place is refused, with the reason. */
export const versionGatePlay: Play = {
  name: 'version change',
  hosts: 'localhost',
  steps: [
    { name: 'every blueprint can go to st2_version in place', tags: ['always'], run: () => versionChangesSupported() },
  ],
};

export const plays: Play[] = [materialPlay, versionGatePlay, blueprintPlay];
