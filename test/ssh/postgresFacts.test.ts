import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { ClusterHost, ClusterView, Vault } from '../../src/core/context.js';
import type { Fact } from '../../src/core/fact.js';
import { EngineHost } from '../../src/engine/engineHost.js';
import { pgDatabase, pgRole, type PgRoleState } from '../../src/facts/postgres.js';
import { countingExecutor } from '../harness/countingExecutor.js';

const host = { name: 'here', settings: {} } as unknown as ClusterHost;

/** Each fact's value, or the error reading it, as this machine (the host) answers it; and how many commands that took. */
async function readHere(facts: readonly Fact<unknown>[]): Promise<{ reads: number; values: unknown[] }> {
  const executor = countingExecutor();
  const ctx = new EngineHost(host, executor, {} as Vault, {} as ClusterView);
  await ctx.prefetch(facts);
  const values = await Promise.all(facts.map((f) => ctx.fact(f).catch((err: unknown) => err)));
  return { reads: executor.commands.length, values };
}

const psql = (sql: string) => execFileSync('runuser', ['-u', 'postgres', '--', 'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', sql], { cwd: '/', stdio: ['ignore', 'ignore', 'inherit'] });

describe('PostgreSQL facts against the machine’s real server', () => {
  // a role and a database whose names hold a quote, a tab, a newline and a backslash
  const odd = `st2prov'odd\t${process.pid}\nrole\\x`;
  const ident = `"${odd.replace(/"/g, '""')}"`;
  let wasRunning = false;

  before(() => {
    wasRunning = spawnSync('service', ['postgresql', 'status'], { stdio: 'ignore' }).status === 0;
    if (!wasRunning) execFileSync('service', ['postgresql', 'start'], { stdio: 'ignore' });
    psql(`CREATE ROLE ${ident} LOGIN PASSWORD 'pw'`);
    psql(`CREATE DATABASE ${ident} OWNER ${ident}`);
  });

  after(() => {
    psql(`DROP DATABASE IF EXISTS ${ident}`);
    psql(`DROP ROLE IF EXISTS ${ident}`);
    if (!wasRunning) execFileSync('service', ['postgresql', 'stop'], { stdio: 'ignore' });
  });

  it('roles and databases asked together are read by one psql, each answer whole whatever its name holds', async () => {
    const facts = [pgRole(odd), pgDatabase(odd), pgRole(`${odd}-none`), pgDatabase('postgres'), pgDatabase(`${odd}'none`)];
    const { reads, values } = await readHere(facts);
    assert.equal(reads, 1);
    const [role, db, noRole, postgres, noDb] = values as [PgRoleState, unknown, PgRoleState, unknown, unknown];
    assert.ok(role.serverVersion >= 90600, String(role.serverVersion));
    assert.equal(role.exists && role.canLogin, true);
    assert.match(role.passwordHash!, /^(SCRAM-SHA-256\$|md5)/);
    assert.deepEqual(db, { exists: true, owner: odd });
    assert.deepEqual(noRole, { exists: false, canLogin: false, passwordHash: null, serverVersion: role.serverVersion });
    assert.deepEqual(postgres, { exists: true, owner: 'postgres' });
    assert.deepEqual(noDb, { exists: false, owner: '' });
  });

  it('with the server stopped, each of them says a running server is missing', async () => {
    execFileSync('service', ['postgresql', 'stop'], { stdio: 'ignore' });
    try {
      const facts = [pgRole(odd), pgDatabase(odd)];
      const { values } = await readHere(facts);
      for (const v of values) assert.match(String(v), /a running PostgreSQL server/);
    } finally {
      execFileSync('service', ['postgresql', 'start'], { stdio: 'ignore' });
    }
  });
});
