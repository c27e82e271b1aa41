import { PlaybookError } from '../errors.js';
import type { HostContext } from '../engine/hostContext.js';
import type { OsFacts } from '../facts/os.js';
import { MissingInput } from '../errors.js';
import { blueprintNetworks } from './topology.js';

/** MongoDB as Debian/Ubuntu packaged it (mongodb-server, /etc/mongodb.conf) or as MongoDB Inc. does (mongodb-org, YAML /etc/mongod.conf). */
export function mongodbLayout(host: HostContext): { package: string; service: string; config: string; yaml: boolean } {
  const pkg = String(host.vars.mongodb_package ?? 'mongodb-server');
  return pkg.startsWith('mongodb-org')
    ? { package: pkg, service: 'mongod', config: '/etc/mongod.conf', yaml: true }
    : { package: pkg, service: 'mongodb', config: '/etc/mongodb.conf', yaml: false };
}

/** postgresql.conf and pg_hba.conf of the installed version: read from the host, never assumed. */
export function postgresPaths(os: OsFacts): { conf: string; hba: string; major: number } {
  const version = os.postgresVersions[0];
  if (!version) throw new MissingInput('PostgreSQL’s configuration (/etc/postgresql/<version>/main)');
  return { conf: `/etc/postgresql/${version}/main/postgresql.conf`, hba: `/etc/postgresql/${version}/main/pg_hba.conf`, major: Number(version) };
}

/** pg_hba networks: pg_hba_network (comma-separated), else the blueprints' /24 networks. */
export function pgHbaNetworks(host: HostContext): string[] {
  const given = host.vars.pg_hba_network;
  if (given) return String(given).split(/[\s,]+/).filter(Boolean);
  return blueprintNetworks(host.cluster);
}

/** Password authentication by server version; `trust` only when asked for by name. */
export function pgHbaMethod(host: HostContext, major: number): string {
  const asked = host.vars.pg_hba_method;
  if (asked !== undefined) {
    const method = String(asked);
    if (!['scram-sha-256', 'md5', 'trust', 'password'].includes(method)) throw new PlaybookError(`pg_hba_method "${method}" is not one st2prov writes`, 'use scram-sha-256, md5 or trust');
    return method;
  }
  return major >= 14 ? 'scram-sha-256' : 'md5';
}
