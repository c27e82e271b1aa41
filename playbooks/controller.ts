import type { HostContext } from '../src/engine/hostContext.js';
import type { Play } from '../src/engine/operation.js';
import { pgValue } from '../src/edit/confKey.js';
import { setYamlKey } from '../src/edit/yamlKey.js';
import { osFacts } from '../src/facts/os.js';
import * as ops from '../src/ops/index.js';
import { templatesDir } from '../src/paths.js';
import { mongodbLayout, pgHbaMethod, pgHbaNetworks, postgresPaths } from '../src/stackstorm/controllerVars.js';
import { st2Repository } from '../src/stackstorm/repository.js';
import { tlsMaterial } from '../src/stackstorm/tls.js';
import { addressOf, blueprints, controllerAddress } from '../src/stackstorm/topology.js';
import { st2Features } from '../src/stackstorm/versions.js';
import { rabbitmqUser } from '../src/stackstorm/urls.js';
import { truthy } from '../src/ssh/connection.js';

/**
 * The guide's controller box, in the guide's order, plus what a working cluster needs
 * that the guide leaves out (a RabbitMQ user, RabbitMQ on the controller address, Redis).
 */
const features = (h: HostContext) => st2Features(h.vars.st2_version);
const mistral = (h: HostContext) => features(h).mistral;
const address = (h: HostContext) => controllerAddress(h.cluster);
const os = (h: HostContext) => h.fact(osFacts());

const INSTALL = 'install MongoDB, PostgreSQL, RabbitMQ and Redis';
const REDIS_STYLE = { separator: ' ' };
const ENV_STYLE = { separator: '=' };

export const controllerPlay: Play = {
  name: 'controller',
  hosts: 'controller',
  steps: [
    { name: INSTALL, tags: ['packages'], run: (h) =>
      ops.packages([mongodbLayout(h).package, ...(mistral(h) ? ['postgresql'] : []), 'rabbitmq-server', 'redis-server', 'nginx', 'openssl', 'curl']) },
    { name: 'PostgreSQL listens where the blueprints reach it', after: INSTALL, tags: ['postgresql'], run: async (h) =>
      mistral(h) && ops.confKey(postgresPaths(await os(h)).conf, 'listen_addresses', pgValue(`localhost,${address(h)}`), { notify: ['restart postgresql'] }) },
    { name: 'MongoDB binds to the controller address', after: INSTALL, tags: ['mongodb'], run: (h) => {
      const mongo = mongodbLayout(h);
      const bind = `127.0.0.1,${address(h)}`;
      return mongo.yaml
        ? ops.editFile('yaml', mongo.config, `net.bindIp in ${mongo.config}`, (t) => setYamlKey(t, 'net', 'bindIp', bind), { notify: ['restart mongodb'] })
        : ops.confKey(mongo.config, 'bind_ip', bind, { notify: ['restart mongodb'] });
    } },
    { name: 'pg_hba admits the blueprints with a password', after: INSTALL, tags: ['postgresql'], run: async (h) => {
      if (!mistral(h)) return undefined;
      const pg = postgresPaths(await os(h));
      const method = pgHbaMethod(h, pg.major);
      return pgHbaNetworks(h).map((network) => ops.pgHbaRule(pg.hba, { type: 'host', database: 'all', user: 'all', address: network, method }, { notify: ['reload postgresql'] }));
    } },
    { name: 'PostgreSQL and the other services run', after: INSTALL, tags: ['services'], run: (h) =>
      [mongodbLayout(h).service, ...(mistral(h) ? ['postgresql'] : []), 'rabbitmq-server', 'redis-server'].map((name) => ops.service({ name, state: 'started', enabled: true })) },
    { name: 'mistral role and database', after: INSTALL, tags: ['postgresql'], run: (h) => mistral(h) && [
      ops.postgresRole('mistral', h.secret('mistral_db_password'), { createdb: true }),
      ops.postgresDatabase('mistral', 'mistral'),
    ] },
    { name: 'StackStorm apt repository', tags: ['repository'], run: async (h) => st2Repository(h, await os(h)) },
    { name: 'install st2web', tags: ['packages', 'st2web'], run: () => ops.packages(['st2web']) },
    { name: 'TLS certificate and key for st2web', tags: ['tls'], run: (h) => {
      const tls = tlsMaterial(h);
      return [
        ops.directory('/etc/ssl/st2', { mode: '0755', owner: 'root:root' }),
        ops.file({ path: '/etc/ssl/st2/st2.crt', content: tls.certificate, mode: '0644', owner: 'root:root', notify: ['reload nginx'] }),
        ops.file({ path: '/etc/ssl/st2/st2.key', content: tls.key.reveal(), mode: '0600', owner: 'root:root', sensitive: true, notify: ['reload nginx'] }),
      ];
    } },
    { name: 'nginx load balancer in front of every blueprint', after: INSTALL, tags: ['nginx'], run: (h) => [
      ops.absent('/etc/nginx/sites-enabled/default', { notify: ['reload nginx'] }),
      ops.nginxConfig(templatesDir, 'nginx-controller.conf.ejs', '/etc/nginx/conf.d/st2-lb.conf', {
        blueprints: blueprints(h.cluster).map((b) => ({ name: b.name, address: addressOf(b) })),
        mistral: mistral(h),
      }, ['reload nginx']),
      ops.service({ name: 'nginx', state: 'started', enabled: true }),
    ] },
    { name: 'st2chatops', tags: ['chatops'], run: (h) => truthy(h.vars.st2_chatops) && [
      ops.packages(['st2chatops']),
      ops.service({ name: 'st2chatops', state: 'started', enabled: true }),
    ] },
    { name: 'RabbitMQ user for st2 (guest is refused over the network)', after: INSTALL, tags: ['rabbitmq'], run: (h) =>
      ops.rabbitmqUser({ user: rabbitmqUser(h), password: h.secret('rabbitmq_password'), address: address(h) }) },
    { name: 'RabbitMQ listens on the controller address', after: INSTALL, tags: ['rabbitmq'], run: (h) =>
      ops.confKey('/etc/rabbitmq/rabbitmq-env.conf', 'NODE_IP_ADDRESS', address(h), { style: ENV_STYLE, notify: ['restart rabbitmq'] }) },
    { name: 'Redis for coordination: on the controller address, with a password', after: INSTALL, tags: ['redis'], run: (h) =>
      ops.confKeys('/etc/redis/redis.conf', { bind: `${address(h)} 127.0.0.1`, requirepass: h.secret('redis_password').reveal() }, { style: REDIS_STYLE, notify: ['restart redis'] }) },
  ],
  handlers: {
    'restart mongodb': (h) => ops.service({ name: mongodbLayout(h).service, state: 'restarted' }),
    'restart postgresql': () => ops.service({ name: 'postgresql', state: 'restarted' }),
    'reload postgresql': () => ops.service({ name: 'postgresql', state: 'reloaded' }),
    'restart rabbitmq': () => ops.service({ name: 'rabbitmq-server', state: 'restarted' }),
    'restart redis': () => ops.service({ name: 'redis-server', state: 'restarted' }),
    'reload nginx': () => ops.service({ name: 'nginx', state: 'reloaded' }),
  },
};

export const plays: Play[] = [controllerPlay];
