import type { HostContext } from '../src/core/context.js';
import type { Play } from '../src/core/operation.js';
import { ENV_STYLE, REDIS_STYLE } from '../src/edit/confKey.js';
import * as ops from '../src/ops/index.js';
import { mongodbLayout } from '../src/stackstorm/controller.js';
import { answering } from '../src/stackstorm/listeners.js';
import { tlsPair } from '../src/stackstorm/material.js';
import { st2Repository } from '../src/stackstorm/repository.js';
import { blueprints, controllerAddress, pgHbaNetworks, validateCluster } from '../src/stackstorm/topology.js';
import { st2Features } from '../src/stackstorm/versions.js';
import { materialPlay } from './material.js';

/**
 * The guide's controller box, in the guide's order, plus what a working cluster needs
 * that the guide leaves out (a RabbitMQ user, RabbitMQ on the controller address, Redis).
 */
const mistral = (h: HostContext) => st2Features(h.settings.st2_version).mistral;
const address = (h: HostContext) => controllerAddress(h.cluster);
const mongodb = (h: HostContext) => mongodbLayout(h.settings);

const INSTALL = 'install MongoDB, PostgreSQL, RabbitMQ and Redis';

export const controllerPlay: Play = {
  name: 'controller',
  hosts: 'controller',
  validate: (cluster) => validateCluster(cluster, { needsController: false }),
  steps: [
    { name: INSTALL, tags: ['packages'], run: (h) =>
      ops.packages([mongodb(h).package, ...(mistral(h) ? ['postgresql'] : []), 'rabbitmq-server', 'redis-server', 'nginx', 'openssl', 'curl']) },
    { name: 'PostgreSQL listens where the blueprints reach it', after: INSTALL, tags: ['postgresql'], run: (h) =>
      mistral(h) && ops.postgresSetting('listen_addresses', ['localhost', address(h)], { notify: ['restart postgresql'] }) },
    { name: 'MongoDB binds to the controller address', after: INSTALL, tags: ['mongodb'], run: (h) => mongodb(h).yaml
      ? ops.yamlKey(mongodb(h).config, 'net.bindIp', `127.0.0.1,${address(h)}`, { notify: ['restart mongodb'] })
      : ops.confKey(mongodb(h).config, 'bind_ip', ['127.0.0.1', address(h)], { notify: ['restart mongodb'] }) },
    { name: 'pg_hba admits the blueprints with a password', after: INSTALL, tags: ['postgresql'], run: (h) =>
      mistral(h) && ops.pgHbaRules(pgHbaNetworks(h.cluster), h.settings.pg_hba_method, { notify: ['reload postgresql'] }) },
    { name: 'PostgreSQL and the other services run', after: INSTALL, tags: ['services'], run: (h) =>
      ops.services([mongodb(h).service, ...(mistral(h) ? ['postgresql'] : []), 'rabbitmq-server', 'redis-server'].map((name) => answering(h, { name, state: 'started' as const, enabled: true }))) },
    { name: 'mistral role and database', after: INSTALL, tags: ['postgresql'], run: (h) => mistral(h) && [
      ops.postgresRole('mistral', h.secret('mistral_db_password'), { createdb: true }),
      ops.postgresDatabase('mistral', 'mistral'),
    ] },
    { name: 'StackStorm apt repository', tags: ['repository'], run: (h) => st2Repository(h.settings) },
    { name: 'install st2web', tags: ['packages', 'st2web'], run: () => ops.packages(['st2web']) },
    { name: 'TLS certificate and key for st2web', tags: ['tls'], run: (h) => ops.tlsFiles(tlsPair(h), { notify: ['reload nginx'] }) },
    { name: 'nginx load balancer in front of every blueprint', after: INSTALL, tags: ['nginx'], run: (h) => [
      // first: the main file includes them (a blueprint a rolling turn took out stays out)
      ...ops.upstreamMemberFiles(blueprints(h.cluster).map((b) => ({ name: b.name, address: b.address })), ['reload nginx']),
      ops.absent('/etc/nginx/sites-enabled/default', { notify: ['reload nginx'] }),
      ops.nginxConfig('nginx-controller.conf.ejs', '/etc/nginx/conf.d/st2-lb.conf', {
        blueprints: blueprints(h.cluster).map((b) => ({ name: b.name, address: b.address })),
        mistral: mistral(h),
      }, ['reload nginx']),
      ops.service(answering(h, { name: 'nginx', state: 'started', enabled: true })),
    ] },
    { name: 'st2chatops', tags: ['chatops'], run: (h) => h.settings.st2_chatops && [
      ops.packages(['st2chatops']),
      ops.service({ name: 'st2chatops', state: 'started', enabled: true }),
    ] },
    { name: 'RabbitMQ user for st2 (guest is refused over the network)', after: INSTALL, tags: ['rabbitmq'], run: (h) =>
      ops.rabbitmqUser({ user: h.settings.rabbitmq_user, password: h.secret('rabbitmq_password'), address: address(h) }) },
    { name: 'RabbitMQ listens on the controller address', after: INSTALL, tags: ['rabbitmq'], run: (h) =>
      ops.confKey('/etc/rabbitmq/rabbitmq-env.conf', 'NODE_IP_ADDRESS', address(h), { style: ENV_STYLE, notify: ['restart rabbitmq'] }) },
    { name: 'Redis for coordination: on the controller address, with a password', after: INSTALL, tags: ['redis'], run: (h) =>
      ops.confKeys('/etc/redis/redis.conf', { bind: [address(h), '127.0.0.1'], requirepass: h.secret('redis_password') }, { style: REDIS_STYLE, notify: ['restart redis'] }) },
  ],
  handlers: {
    'restart mongodb': (h) => ops.service(answering(h, { name: mongodb(h).service, state: 'restarted' })),
    'restart postgresql': (h) => ops.service(answering(h, { name: 'postgresql', state: 'restarted' })),
    'reload postgresql': (h) => ops.service(answering(h, { name: 'postgresql', state: 'reloaded' })),
    'restart rabbitmq': (h) => ops.service(answering(h, { name: 'rabbitmq-server', state: 'restarted' })),
    'restart redis': (h) => ops.service(answering(h, { name: 'redis-server', state: 'restarted' })),
    'reload nginx': (h) => ops.service(answering(h, { name: 'nginx', state: 'reloaded' })),
  },
};

export const plays: Play[] = [materialPlay, controllerPlay];
