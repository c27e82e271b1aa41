import type { HostContext } from '../src/core/context.js';
import type { Play } from '../src/core/operation.js';
import { isSecret } from '../src/core/secret.js';
import { ENV_STYLE, REDIS_STYLE } from '../src/edit/confKey.js';
import * as ops from '../src/ops/index.js';
import { CHATOPS_ENV, chatopsController, chatopsEnvOf } from '../src/stackstorm/chatops.js';
import { CONTROLLER_INSTALL_STEP, mongodbLayout } from '../src/stackstorm/controller.js';
import { answering, listenerOf } from '../src/stackstorm/listeners.js';
import { BLUEPRINT_TLS_NAME, clusterCaCertificate, tierName, tierNames, tlsPair } from '../src/stackstorm/material.js';
import { st2Repository } from '../src/stackstorm/repository.js';
import { redisServerEdit, sentinelEdit } from '../src/stackstorm/sentinel.js';
import { blueprints, controllers, isTier, pgHbaNetworks, postgresPair, seedController, serviceAddress, validateCluster } from '../src/stackstorm/topology.js';
import { RABBITMQ_TIER_CONF, REPLICATION_USER, rabbitNode } from '../src/stackstorm/tier.js';
import { st2Features } from '../src/stackstorm/versions.js';
import { zookeeperConfig } from '../src/stackstorm/zookeeper.js';
import { controllerTierPlay } from './controllerTier.js';
import { materialPlay } from './material.js';

/**
 * The guide's controller box, in the guide's order, plus what a working cluster needs
 * that the guide leaves out (a RabbitMQ user, RabbitMQ on the controller address, Redis).
 * With three controllers (the tier), every one of them runs all of it on its own address,
 * ready to cluster: what joins them up is the next play (controllerTier.ts).
 */
const mistral = (h: HostContext) => st2Features(h.settings.st2_version).mistral;
const address = (h: HostContext) => serviceAddress(h.cluster, h.host);
const mongodb = (h: HostContext) => mongodbLayout(h.settings);
const tier = (h: HostContext) => isTier(h.cluster);
/** PostgreSQL runs on the controller, or in the tier on the primary and its standby */
const postgres = (h: HostContext) => mistral(h) && (!tier(h) || Object.values(postgresPair(h.cluster)).includes(h.host));
/** Redis for coordination: always on the one controller (as before ZooKeeper was an option); in the tier, with Sentinel, when it is the backend */
const redis = (h: HostContext) => !tier(h) || h.settings.coordination_backend === 'redis';
const sentinel = (h: HostContext) => tier(h) && h.settings.coordination_backend === 'redis';
/** ZooKeeper on the controllers when it coordinates and no ensemble of your own is given */
const zookeeper = (h: HostContext) => h.settings.coordination_backend === 'zookeeper' && !h.settings.coordination_url;

const INSTALL = CONTROLLER_INSTALL_STEP;
const CLUSTER_CA_PATH = '/etc/ssl/st2/cluster-ca.crt';

export const controllerPlay: Play = {
  name: 'controller',
  hosts: 'controller',
  validate: (cluster) => validateCluster(cluster, { needsController: false }),
  steps: [
    { name: INSTALL, tags: ['packages'], run: (h) =>
      ops.packages([mongodb(h).package, ...(postgres(h) ? ['postgresql'] : []), 'rabbitmq-server', ...(redis(h) ? ['redis-server'] : []), ...(sentinel(h) ? ['redis-sentinel'] : []),
        ...(zookeeper(h) ? ['zookeeperd'] : []), 'nginx', 'openssl', 'curl', ...(tier(h) ? ['keepalived'] : [])]) },
    { name: 'PostgreSQL listens where the blueprints reach it', after: INSTALL, tags: ['postgresql'], run: (h) =>
      postgres(h) && ops.postgresSetting('listen_addresses', ['localhost', address(h)], { notify: ['restart postgresql'] }) },
    { name: 'MongoDB binds to the controller address', after: INSTALL, tags: ['mongodb'], run: (h) => {
      const set = tier(h) ? tierName(h, 'replicaSet') : undefined;
      if (mongodb(h).yaml) {
        return [
          ops.yamlKey(mongodb(h).config, 'net.bindIp', `127.0.0.1,${address(h)}`, { notify: ['restart mongodb'] }),
          set !== undefined && ops.yamlKey(mongodb(h).config, 'replication.replSetName', set, { notify: ['restart mongodb'] }),
        ];
      }
      return set === undefined
        ? ops.confKey(mongodb(h).config, 'bind_ip', ['127.0.0.1', address(h)], { notify: ['restart mongodb'] })
        : ops.confKeys(mongodb(h).config, { bind_ip: ['127.0.0.1', address(h)], replSet: set }, { notify: ['restart mongodb'] });
    } },
    { name: 'pg_hba admits the blueprints with a password', after: INSTALL, tags: ['postgresql'], run: (h) =>
      postgres(h) && ops.pgHbaRules(pgHbaNetworks(h.cluster), h.settings.pg_hba_method, { notify: ['reload postgresql'] }) },
    // the tier: either of the pair can be the primary (after a promotion), so both are set up alike
    { name: 'PostgreSQL streams WAL between the primary and its standby', after: INSTALL, tags: ['postgresql'], run: (h) => postgres(h) && tier(h) && [
      ops.postgresReplicationSettings({ notify: ['restart postgresql'] }),
      ops.pgHbaReplication(REPLICATION_USER, Object.values(postgresPair(h.cluster)).filter((c) => c !== h.host).map((c) => c.address), h.settings.pg_hba_method, { notify: ['reload postgresql'] }),
    ] },
    { name: 'PostgreSQL and the other services run', after: INSTALL, tags: ['services'], run: (h) =>
      ops.services([mongodb(h).service, ...(postgres(h) ? ['postgresql'] : []), 'rabbitmq-server', ...(redis(h) ? ['redis-server'] : [])].map((name) => answering(h, { name, state: 'started' as const, enabled: true }))) },
    { name: 'mistral role and database', after: INSTALL, tags: ['postgresql'], run: (h) => postgres(h) && (!tier(h) || postgresPair(h.cluster).primary === h.host) && [
      ops.postgresRole('mistral', h.secret('mistral_db_password'), { createdb: true }),
      ops.postgresDatabase('mistral', 'mistral'),
      tier(h) && ops.postgresRole(REPLICATION_USER, h.secret('postgresql_replication_password'), { replication: true }),
    ] },
    { name: 'StackStorm apt repository', tags: ['repository'], run: (h) => st2Repository(h.settings) },
    { name: 'install st2web', tags: ['packages', 'st2web'], run: () => ops.packages(['st2web']) },
    { name: 'TLS certificate and key for st2web, and the cluster CA the blueprints are verified with', tags: ['tls'], run: (h) => [
      ...ops.tlsFiles(tlsPair(h), { notify: ['reload nginx'] }),
      ops.file({ path: CLUSTER_CA_PATH, content: clusterCaCertificate(h), mode: '0644', owner: 'root:root', notify: ['reload nginx'] }),
    ] },
    { name: 'nginx load balancer in front of every blueprint', after: INSTALL, tags: ['nginx'], run: (h) => [
      // first: the main file includes them (a blueprint a rolling turn took out stays out)
      ...ops.upstreamMemberFiles(blueprints(h.cluster).map((b) => ({ name: b.name, address: b.address })), ['reload nginx']),
      ops.absent('/etc/nginx/sites-enabled/default', { notify: ['reload nginx'] }),
      ops.nginxConfig('nginx-controller.conf.ejs', '/etc/nginx/conf.d/st2-lb.conf', {
        blueprints: blueprints(h.cluster).map((b) => ({ name: b.name, address: b.address })),
        mistral: mistral(h),
        upstream_name: BLUEPRINT_TLS_NAME,
        upstream_ca: CLUSTER_CA_PATH,
      }, ['reload nginx']),
      ops.service(answering(h, { name: 'nginx', state: 'started', enabled: true })),
      // the tier: keepalived holds lb_vip on a controller whose nginx answers
      ...(tier(h) ? [
        ops.keepalivedConfig({
          name: h.name,
          address: h.host.address,
          peers: controllers(h.cluster).filter((c) => c !== h.host).map((c) => c.address),
          vip: h.settings.lb_vip!,
          iface: h.settings.lb_vip_interface,
          routerId: isSecret(tierNames(h).vrrpRouterId) ? tierNames(h).vrrpRouterId : Number(tierNames(h).vrrpRouterId),
          // the first controller holds it first
          priority: 150 - 10 * controllers(h.cluster).indexOf(h.host),
          password: h.secret('vrrp_password'),
          notify: ['reload keepalived'],
        }),
        ops.service({ name: 'keepalived', state: 'started', enabled: true }),
      ] : []),
    ] },
    // hubot cannot share its chat connection: in the tier it runs on the first controller only;
    // its API key is registered with st2 by the blueprint play, once st2 runs
    { name: 'st2chatops: on one controller, at the load balancer, with its API key', tags: ['chatops'], run: (h) => h.settings.st2_chatops && h.host === chatopsController(h.cluster) && [
      ops.packages(['st2chatops']),
      ops.file({ path: CHATOPS_ENV, content: chatopsEnvOf(h.cluster, h.secret('st2_chatops_api_key')), mode: '0640', owner: 'root:st2', notify: ['restart st2chatops'] }),
      ops.service({ name: 'st2chatops', state: 'started', enabled: true }),
    ] },
    // in the tier the user is made once the nodes are one cluster (controllerTier.ts)
    { name: 'RabbitMQ user for st2 (guest is refused over the network)', after: INSTALL, tags: ['rabbitmq'], run: (h) => !tier(h) &&
      ops.rabbitmqUser({ user: h.settings.rabbitmq_user, password: h.secret('rabbitmq_password'), address: address(h) }) },
    { name: 'RabbitMQ listens on the controller address', after: INSTALL, tags: ['rabbitmq'], run: (h) => tier(h)
      ? [
        // a node named by the address the others reach it at: no DNS needed between controllers
        ops.confKeys('/etc/rabbitmq/rabbitmq-env.conf', { NODE_IP_ADDRESS: address(h), NODENAME: rabbitNode(h.host), USE_LONGNAME: 'true' }, { style: ENV_STYLE, notify: ['restart rabbitmq'] }),
        // the nodes (and rabbitmqctl) of one cluster share one Erlang cookie
        ops.file({ path: '/var/lib/rabbitmq/.erlang.cookie', content: h.secret('rabbitmq_erlang_cookie'), mode: '0400', owner: 'rabbitmq:rabbitmq', notify: ['restart rabbitmq'] }),
        ops.directory('/etc/rabbitmq/conf.d', { mode: '0755', owner: 'root:root' }),
        ops.file({ path: '/etc/rabbitmq/conf.d/50-st2prov-tier.conf', content: RABBITMQ_TIER_CONF, mode: '0644', owner: 'root:root', notify: ['restart rabbitmq'] }),
      ]
      : ops.confKey('/etc/rabbitmq/rabbitmq-env.conf', 'NODE_IP_ADDRESS', address(h), { style: ENV_STYLE, notify: ['restart rabbitmq'] }) },
    { name: 'Redis for coordination: on the controller address, with a password', after: INSTALL, tags: ['redis'], run: (h) => {
      if (!tier(h)) return ops.confKeys('/etc/redis/redis.conf', { bind: [address(h), '127.0.0.1'], requirepass: h.secret('redis_password') }, { style: REDIS_STYLE, notify: ['restart redis'] });
      if (!sentinel(h)) return [];
      const password = h.secret('redis_password');
      const admin = h.secret('redis_sentinel_password');
      return [
        ops.redisConf('/etc/redis/redis.conf', redisServerEdit(address(h), password.reveal()), { secrets: [password], notify: ['restart redis'] }),
        ops.sentinelConf('/etc/redis/sentinel.conf', sentinelEdit({
          master: tierName(h, 'sentinelMaster'),
          seed: seedController(h.cluster).address,
          address: address(h),
          redisPassword: password.reveal(),
          sentinelPassword: admin.reveal(),
        }), { service: 'redis-sentinel', listens: listenerOf(h, 'redis-sentinel')!, secrets: [password, admin] }),
        ops.service(answering(h, { name: 'redis-sentinel', state: 'started', enabled: true })),
      ];
    } },
    { name: 'ZooKeeper for coordination: on the controller, or an ensemble of the three', after: INSTALL, tags: ['zookeeper'], run: (h) => zookeeper(h) && [
      ...zookeeperConfig(h, ['restart zookeeper']),
      ops.service(answering(h, { name: 'zookeeper', state: 'started', enabled: true })),
    ] },
  ],
  handlers: {
    'restart mongodb': (h) => ops.service(answering(h, { name: mongodb(h).service, state: 'restarted' })),
    'restart postgresql': (h) => ops.service(answering(h, { name: 'postgresql', state: 'restarted' })),
    'reload postgresql': (h) => ops.service(answering(h, { name: 'postgresql', state: 'reloaded' })),
    'restart rabbitmq': (h) => ops.service(answering(h, { name: 'rabbitmq-server', state: 'restarted' })),
    'restart redis': (h) => ops.service(answering(h, { name: 'redis-server', state: 'restarted' })),
    'reload nginx': (h) => ops.service(answering(h, { name: 'nginx', state: 'reloaded' })),
    'restart st2chatops': () => ops.service({ name: 'st2chatops', state: 'restarted' }),
    'reload keepalived': () => ops.service({ name: 'keepalived', state: 'reloaded' }),
    'restart zookeeper': (h) => ops.service(answering(h, { name: 'zookeeper', state: 'restarted' })),
  },
};

export const plays: Play[] = [materialPlay, controllerPlay, controllerTierPlay];
