import { existsSync, readFileSync } from 'node:fs';
import type { HostContext } from '../src/engine/hostContext.js';
import type { Play } from '../src/engine/operation.js';
import { osFacts } from '../src/facts/os.js';
import * as ops from '../src/ops/index.js';
import { templatesDir } from '../src/paths.js';
import { nodeRoles, validateBlueprints } from '../src/stackstorm/haRules.js';
import { GRACEFUL_STOP_DROP_IN, gracefulStopUnits } from '../src/stackstorm/gracefulStop.js';
import { datastoreKey, htpasswd, stanleyKeyPair } from '../src/stackstorm/material.js';
import { st2Repository } from '../src/stackstorm/repository.js';
import { tlsMaterial } from '../src/stackstorm/tls.js';
import { controllerAddress } from '../src/stackstorm/topology.js';
import { coordinationUrl, loadBalancerUrl, mistralDatabaseUrl, mistralTransportUrl, rabbitmqUser } from '../src/stackstorm/urls.js';
import { st2Components, st2Features } from '../src/stackstorm/versions.js';

/**
 * The guide's blueprint box, in the guide's order: N identical boxes behind the controller,
 * identical but for the per-node keys of the HA rules.
 */
const features = (h: HostContext) => st2Features(h.vars.st2_version);
const pinned = (h: HostContext, name: string) => `${name}=${features(h).version}-${h.vars.st2_package_revision ?? 1}`;
const ENV_STYLE = { separator: '=' };
const INSTALL = 'install st2, st2mistral and nginx';

export const blueprintPlay: Play = {
  name: 'blueprint',
  hosts: 'blueprint',
  needs: 'controller',
  validate: validateBlueprints,
  steps: [
    { name: 'StackStorm apt repository', tags: ['repository'], run: async (h) => st2Repository(h, await h.fact(osFacts())) },
    // the guide's steps 2 and 3 in one apt transaction
    { name: INSTALL, tags: ['packages'], run: (h) => ops.packages([pinned(h, 'st2'), ...(features(h).mistral ? [pinned(h, 'st2mistral')] : []), 'nginx']) },
    { name: 'mistral.conf: database and messaging at the controller', after: INSTALL, tags: ['mistral'], run: (h) => features(h).mistral &&
      ops.iniKeys('/etc/mistral/mistral.conf', [
        ['database', 'connection', mistralDatabaseUrl(h)],
        ['DEFAULT', 'transport_url', mistralTransportUrl(h)],
      ], { notify: ['restart mistral'] }) },
    { name: 'st2auth users, the same htpasswd on every blueprint', after: INSTALL, tags: ['auth'], run: (h) =>
      ops.file({ path: '/etc/st2/htpasswd', content: htpasswd(h).reveal(), mode: '0640', owner: 'root:st2', sensitive: true, notify: ['restart st2'] }) },
    { name: 'cluster secrets: datastore key and stanley key pair', after: INSTALL, tags: ['auth'], run: (h) => {
      const stanley = stanleyKeyPair(h);
      return [
        ops.directory('/etc/st2/keys', { mode: '0750', owner: 'root:st2' }),
        ops.file({ path: '/etc/st2/keys/datastore_key.json', content: datastoreKey(h).reveal(), mode: '0640', owner: 'root:st2', sensitive: true, notify: ['restart st2'] }),
        ops.directory('/home/stanley/.ssh', { mode: '0700', owner: 'stanley:stanley' }),
        ops.file({ path: '/home/stanley/.ssh/stanley_rsa', content: stanley.privateKey.reveal(), mode: '0600', owner: 'stanley:stanley', sensitive: true }),
        ops.file({ path: '/home/stanley/.ssh/stanley_rsa.pub', content: stanley.publicKey, mode: '0644', owner: 'stanley:stanley' }),
        ops.file({ path: '/home/stanley/.ssh/authorized_keys', content: stanley.publicKey, mode: '0600', owner: 'stanley:stanley' }),
      ];
    } },
    // the guide's step 8 (authentication) is the [auth] section of this shared file
    { name: 'the shared st2.conf, pointing at the controller', after: INSTALL, tags: ['st2conf'], run: (h) =>
      ops.template(templatesDir, 'st2.conf.ejs', {
        features: features(h),
        node: { name: h.name, ...nodeRoles(h.cluster, h.host) },
        controller: controllerAddress(h.cluster),
        lb_url: loadBalancerUrl(h),
        rabbitmq_user: rabbitmqUser(h),
        rabbitmq_password: h.secret('rabbitmq_password'),
        coordination_url: coordinationUrl(h),
      }, { path: '/etc/st2/st2.conf', mode: '0640', owner: 'root:st2', notify: ['restart st2'] }) },
    { name: 'blueprint nginx: TLS termination for this box’s services', after: INSTALL, tags: ['nginx'], run: (h) => {
      const tls = tlsMaterial(h);
      return [
        ops.directory('/etc/ssl/st2', { mode: '0755', owner: 'root:root' }),
        ops.file({ path: '/etc/ssl/st2/st2.crt', content: tls.certificate, mode: '0644', owner: 'root:root', notify: ['reload nginx'] }),
        ops.file({ path: '/etc/ssl/st2/st2.key', content: tls.key.reveal(), mode: '0600', owner: 'root:root', sensitive: true, notify: ['reload nginx'] }),
        ops.absent('/etc/nginx/sites-enabled/default', { notify: ['reload nginx'] }),
        ops.nginxConfig(templatesDir, 'nginx-blueprint.conf.ejs', '/etc/nginx/conf.d/st2.conf', { mistral: features(h).mistral }, ['reload nginx']),
        ops.service({ name: 'nginx', state: 'started', enabled: true }),
      ];
    } },
    { name: 'HA roles of this node: timers, garbage collector, sensors', after: INSTALL, tags: ['ha'], run: (h) => {
      const node = nodeRoles(h.cluster, h.host);
      const partitions = h.vars.sensor_partitions_file;
      return [
        ops.confKey('/etc/default/st2ctl', 'COMPONENTS', `"${node.components.join(' ')}"`, { style: ENV_STYLE, notify: ['restart st2'] }),
        node.partitionProvider?.startsWith('name:file') && partitions !== undefined &&
          ops.file({ path: '/etc/st2/sensor_partitions.yaml', content: readFileSync(String(partitions), 'utf8'), mode: '0644', owner: 'root:root', notify: ['restart st2'] }),
      ];
    } },
    { name: 'packs synced from the control machine', after: INSTALL, tags: ['packs'], run: (h) => existsSync(h.cluster.packsDir) &&
      ops.dirSync({
        source: h.cluster.packsDir,
        dest: '/opt/stackstorm/packs',
        delete: /^(1|true|yes)$/i.test(String(h.vars.packs_delete ?? '')),
        notify: nodeRoles(h.cluster, h.host).registersContent ? ['register content'] : [],
      }) },
    { name: 'systemd: st2 gets the time it needs to stop gracefully', after: INSTALL, tags: ['services'], run: (h) =>
      gracefulStopUnits(features(h)).map((unit) => ops.systemdDropIn({ unit, name: 'st2prov-graceful-stop.conf', content: GRACEFUL_STOP_DROP_IN })) },
    { name: 'st2 services: this node’s run, the others stay off', after: INSTALL, tags: ['services'], run: (h) => {
      const node = nodeRoles(h.cluster, h.host);
      return ops.services([
        ...st2Components(features(h)).map((name) => node.components.includes(name) ? { name, state: 'started' as const, enabled: true } : { name, state: 'stopped' as const, enabled: false }),
        ...(features(h).mistral ? ['mistral-api', 'mistral-server'].map((name) => ({ name, state: 'started' as const, enabled: true })) : []),
      ]);
    } },
  ],
  handlers: {
    'restart mistral': () => ops.services([{ name: 'mistral-api', state: 'restarted' }, { name: 'mistral-server', state: 'restarted' }]),
    // this node's components, each checked to stay up (st2ctl restart stops all, then starts all, and ignores a failure)
    'restart st2': (h) => ops.services(nodeRoles(h.cluster, h.host).components.map((name) => ({ name, state: 'restarted' as const }))),
    'reload nginx': () => ops.service({ name: 'nginx', state: 'reloaded' }),
    'register content': () => ops.command({ summary: 'st2ctl reload --register-all (once for the cluster)', argv: ['st2ctl', 'reload', '--register-all'] }),
  },
};

export const plays: Play[] = [blueprintPlay];
