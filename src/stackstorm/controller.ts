import type { Settings } from '../inventory/variables.js';

/** MongoDB as Debian/Ubuntu packaged it (mongodb-server, /etc/mongodb.conf) or as MongoDB Inc. does (mongodb-org, YAML /etc/mongod.conf). */
export function mongodbLayout(settings: Settings): { package: string; service: string; config: string; yaml: boolean } {
  const pkg = settings.mongodb_package;
  return pkg.startsWith('mongodb-org')
    ? { package: pkg, service: 'mongod', config: '/etc/mongod.conf', yaml: true }
    : { package: pkg, service: 'mongodb', config: '/etc/mongodb.conf', yaml: false };
}

/** The controller play's step that installs its services: the steps that need them running (the tier's too) wait after it. */
export const CONTROLLER_INSTALL_STEP = 'install MongoDB, PostgreSQL, RabbitMQ and Redis';
