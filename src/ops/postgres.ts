import { change, type Change } from '../core/change.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { MissingInput, PlaybookError } from '../core/errors.js';
import { asPostgres, pgDatabase, pgReplication, pgRole, postgresConfig, sqlIdentifier, sqlLiteral } from '../facts/postgres.js';
import { osFacts } from '../facts/os.js';
import { shellScript } from '../core/command.js';
import { serviceCommand } from './serviceCheck.js';
import { POSTGRES_STYLE, setConfKey } from '../edit/confKey.js';
import { ensureHbaRule } from '../edit/pgHba.js';
import { fileText } from '../facts/files.js';
import { fileChanges } from './file.js';
import { md5Verifier, scramVerifier, verifierMatches } from '../edit/pgPassword.js';
import { remember, type Secret } from '../core/secret.js';

/** Runs SQL fed on stdin (never on the command line), stopping at the first error. */
async function runSql(host: HostContext, purpose: string, sql: string): Promise<void> {
  await host.run(purpose, { argv: asPostgres(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1']), stdin: sql });
}

/** A login role with this password; the password is set again only when it differs. */
export function postgresRole(name: string, password: Secret, options: { createdb?: boolean; replication?: boolean } = {}): Operation {
  return {
    title: `PostgreSQL role ${name}`,
    facts: () => [pgRole(name)],
    async plan(host) {
      const state = await host.fact(pgRole(name));
      // a verifier is the password's hash: masked like it, should psql echo the statement in an error
      const verifier = () => {
        const v = state.serverVersion >= 140000 ? scramVerifier(password.reveal()) : md5Verifier(password.reveal(), name);
        remember(v);
        return v;
      };
      const attrs = `LOGIN${options.createdb ? ' CREATEDB' : ''}${options.replication ? ' REPLICATION' : ''}`;
      const changes: Change[] = [];
      if (!state.exists) {
        changes.push(change({
          kind: 'postgres',
          summary: `create role ${name} (${attrs}, password set)`,
          apply: () => runSql(host, `creating role ${name}`, `CREATE ROLE ${sqlIdentifier(name)} WITH ${attrs} PASSWORD ${sqlLiteral(verifier())};\n`),
        }));
        return changes;
      }
      if (!state.canLogin) {
        changes.push(change({ kind: 'postgres', summary: `allow role ${name} to log in`, apply: () => runSql(host, `altering role ${name}`, `ALTER ROLE ${sqlIdentifier(name)} WITH LOGIN;\n`) }));
      }
      if (!verifierMatches(state.passwordHash, password.reveal(), name)) {
        changes.push(change({
          kind: 'postgres',
          summary: `change password of role ${name}`,
          apply: () => runSql(host, `setting the password of ${name}`, `ALTER ROLE ${sqlIdentifier(name)} WITH PASSWORD ${sqlLiteral(verifier())};\n`),
        }));
      }
      return changes;
    },
  };
}

/** A database owned by this role. */
export function postgresDatabase(name: string, owner: string): Operation {
  return {
    title: `PostgreSQL database ${name}`,
    facts: () => [pgDatabase(name)],
    async plan(host) {
      const state = await host.fact(pgDatabase(name));
      if (!state.exists) {
        return [change({ kind: 'postgres', summary: `create database ${name} owned by ${owner}`, apply: () => runSql(host, `creating database ${name}`, `CREATE DATABASE ${sqlIdentifier(name)} OWNER ${sqlIdentifier(owner)};\n`) })];
      }
      if (state.owner !== owner) {
        return [change({ kind: 'postgres', summary: `database ${name} owner ${state.owner} → ${owner}`, apply: () => runSql(host, `changing owner of ${name}`, `ALTER DATABASE ${sqlIdentifier(name)} OWNER TO ${sqlIdentifier(owner)};\n`) })];
      }
      return [];
    },
  };
}

interface EditOptions {
  notify?: string[];
}

/** An edit of a config file of the installed PostgreSQL; its version is read from the host. */
function postgresConfigEdit(name: 'postgresql.conf' | 'pg_hba.conf', kind: string, what: string, transform: (text: string, major: number) => string, options: EditOptions): Operation {
  return {
    title: `${what} in ${name}`,
    facts: () => [postgresConfig(name)],
    async plan(host) {
      const found = await host.fact(postgresConfig(name));
      if (!found) throw new MissingInput('PostgreSQL’s configuration (/etc/postgresql/<version>/main)');
      if (!found.state.exists) throw new MissingInput(found.path);
      const state = await fileText(host, found.path, found.state, `editing ${what} in ${found.path}`);
      return fileChanges(host, { path: found.path, content: transform(state.content, found.major), ...options }, state, kind, `${what} in ${found.path}`);
    },
  };
}

/** A string setting of postgresql.conf (a list is joined with commas), quoted the way PostgreSQL reads it. */
export function postgresSetting(key: string, value: string | readonly string[], options: EditOptions = {}): Operation {
  return postgresConfigEdit('postgresql.conf', 'conf', key, (text) => setConfKey(text, key, POSTGRES_STYLE.encode(value), POSTGRES_STYLE), options);
}

/**
 * pg_hba.conf rules admitting these networks to every database with a password: SCRAM from
 * PostgreSQL 14 (its default), md5 before; another method only when asked for.
 */
export function pgHbaRules(networks: readonly string[], method: string | undefined, options: EditOptions = {}): Operation {
  return postgresConfigEdit('pg_hba.conf', 'pg_hba', `rules for ${networks.join(', ')}`, (text, major) =>
    networks.reduce((t, address) => ensureHbaRule(t, { type: 'host', database: 'all', user: 'all', address, method: method ?? (major >= 14 ? 'scram-sha-256' : 'md5') }), text), options);
}

/** PostgreSQL's settings for streaming replication, by its major version (the same on primary and standby, so either can be either). */
export function replicationSettings(major: number): Record<string, string> {
  return {
    // 'replica' from 9.6; before, 'hot_standby' (which later versions still read as replica)
    wal_level: major >= 9.6 ? 'replica' : 'hot_standby',
    max_wal_senders: '10',
    hot_standby: 'on',
    // WAL kept for a standby that falls behind (or reboots), instead of a slot that keeps it forever for one that is gone
    ...(major >= 13 ? { wal_keep_size: '1GB' } : { wal_keep_segments: '64' }),
  };
}

/** postgresql.conf's replication settings for the installed version. */
export function postgresReplicationSettings(options: EditOptions = {}): Operation {
  return postgresConfigEdit('postgresql.conf', 'conf', 'replication settings', (text, major) =>
    Object.entries(replicationSettings(major)).reduce((t, [key, value]) => setConfKey(t, key, POSTGRES_STYLE.encode(value), POSTGRES_STYLE), text), options);
}

/** pg_hba.conf rules letting these hosts stream WAL as the replication user. */
export function pgHbaReplication(user: string, peers: readonly string[], method: string | undefined, options: EditOptions = {}): Operation {
  return postgresConfigEdit('pg_hba.conf', 'pg_hba', `replication rules for ${peers.join(', ')}`, (text, major) =>
    peers.reduce((t, peer) => ensureHbaRule(t, { type: 'host', database: 'replication', user, address: `${peer}/32`, method: method === 'trust' ? 'trust' : major >= 14 ? 'scram-sha-256' : 'md5' }), text), options);
}

export interface StandbySpec {
  /** where the primary listens */
  primary: string;
  user: string;
  password: Secret;
}

// a fresh copy of the primary: the old data goes, the base backup (with -R: what makes it a
// standby, and how it reaches the primary, written by PostgreSQL's own tool) takes its place
const BASE_BACKUP = `set -e
PGPASSWORD=$(cat)
export PGPASSWORD
data=$1 bin=/usr/lib/postgresql/$2/bin
[ -x "$bin/pg_basebackup" ] || bin=/usr/bin
rm -rf "$data.st2prov-new"
install -d -m 0700 "$data.st2prov-new"
"$bin/pg_basebackup" -h "$3" -U "$4" -D "$data.st2prov-new" -R -X stream -c fast
chown -R postgres:postgres "$data.st2prov-new"
rm -rf "$data"
mv "$data.st2prov-new" "$data"`;

/**
 * This server a streaming hot standby of the primary. A server that is no standby yet and
 * never held st2's data (the package's fresh cluster) is replaced by a base backup of the
 * primary; one that follows another primary, or with another password, gets a fresh copy
 * too. A server that holds the mistral database and is no standby has been a primary: it
 * is refused, as its data may hold writes the primary lacks.
 */
export function postgresStandby(spec: StandbySpec): Operation {
  return {
    title: `PostgreSQL streaming standby of ${spec.primary}`,
    facts: () => [pgReplication(), postgresConfig('postgresql.conf'), osFacts()],
    async plan(host) {
      const state = await host.fact(pgReplication());
      const config = await host.fact(postgresConfig('postgresql.conf'));
      if (!config) throw new MissingInput('PostgreSQL’s configuration (/etc/postgresql/<version>/main)');
      let why: string;
      if (state.inRecovery) {
        const follows = state.receiver?.host;
        if (follows !== undefined && follows !== '' && follows !== spec.primary) why = `it follows ${follows}`;
        else if (state.conninfoPassword !== undefined && state.conninfoPassword !== spec.password.reveal()) why = 'it logs in to the primary with another password';
        else return [];
      } else if (state.hasMistral) {
        throw new PlaybookError(`PostgreSQL on ${host.name} is a primary holding the mistral database, not a standby of ${spec.primary}`,
          `it was promoted, or is the old primary: if it is the one to keep, set postgresql_primary=${host.name}; else keep a copy of ${state.dataDirectory} (it may hold writes ${spec.primary} lacks), make it an empty server (pg_dropcluster --stop ${config.major} main && pg_createcluster --start ${config.major} main) and apply again`);
      } else why = 'it is a fresh server of its own';
      return [change({
        kind: 'postgres',
        summary: `PostgreSQL: a streaming hot standby of ${spec.primary} from a base backup (${why}; its data directory is replaced)`,
        apply: async () => {
          const { init } = await host.fact(osFacts());
          await serviceCommand(host, init, 'postgresql', 'stop');
          await host.run(`copying the primary ${spec.primary} (pg_basebackup)`, { argv: shellScript(BASE_BACKUP, [state.dataDirectory, String(config.major), spec.primary, spec.user]), stdin: spec.password.reveal() });
          await serviceCommand(host, init, 'postgresql', 'start');
        },
      })];
    },
  };
}
