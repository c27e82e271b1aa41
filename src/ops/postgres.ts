import { change, type Change } from '../engine/change.js';
import type { HostContext } from '../engine/hostContext.js';
import type { Operation } from '../engine/operation.js';
import { asPostgres, pgDatabase, pgRole, sqlIdentifier, sqlLiteral } from '../facts/postgres.js';
import { md5Verifier, scramVerifier, verifierMatches } from '../edit/pgPassword.js';
import type { Secret } from '../secrets.js';

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
