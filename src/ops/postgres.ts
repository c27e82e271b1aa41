import { change, type Change } from '../core/change.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { MissingInput } from '../core/errors.js';
import { asPostgres, pgDatabase, pgRole, postgresConfig, sqlIdentifier, sqlLiteral } from '../facts/postgres.js';
import { POSTGRES_STYLE, setConfKey } from '../edit/confKey.js';
import { ensureHbaRule } from '../edit/pgHba.js';
import { fileChanges } from './file.js';
import { md5Verifier, scramVerifier, verifierMatches } from '../edit/pgPassword.js';
import type { Secret } from '../core/secret.js';

/** Runs SQL fed on stdin (never on the command line), stopping at the first error. */
async function runSql(host: HostContext, purpose: string, sql: string): Promise<void> {
  await host.run(purpose, { argv: asPostgres(['psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1']), stdin: sql });
}

/** A login role with this password; the password is set again only when it differs. */
export function postgresRole(name: string, password: Secret, options: { createdb?: boolean } = {}): Operation {
  return {
    title: `PostgreSQL role ${name}`,
    facts: () => [pgRole(name)],
    async plan(host) {
      const state = await host.fact(pgRole(name));
      const verifier = () =>
        state.serverVersion >= 140000 ? scramVerifier(password.reveal()) : md5Verifier(password.reveal(), name);
      const attrs = `LOGIN${options.createdb ? ' CREATEDB' : ''}`;
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
      return fileChanges(host, { path: found.path, content: transform(found.state.content, found.major), ...options }, found.state, kind, `${what} in ${found.path}`);
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
