import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { Fact } from '../../src/core/fact.js';
import { factReads, memberValues } from '../../src/engine/factFamilies.js';
import { pgDatabase, pgRole, type PgRoleState } from '../../src/facts/postgres.js';

/** Runs a fact's command here, as root, and parses it as a host's probe would. */
function readHere(facts: readonly Fact<unknown>[]): { reads: number; values: Map<string, unknown> } {
  const reads = factReads(facts);
  const values = new Map<string, unknown>();
  for (const read of reads) {
    const r = spawnSync(read.fact.argv[0]!, read.fact.argv.slice(1), { encoding: 'utf8' });
    let value: unknown;
    try {
      value = read.fact.parse({ code: r.status, stdout: r.stdout, stderr: r.stderr });
    } catch (err) {
      value = err;
    }
    for (const [k, v] of memberValues(read, value)) values.set(k, v);
  }
  return { reads: reads.length, values };
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

  it('roles and databases asked together are read by one psql, each answer whole whatever its name holds', () => {
    const facts = [pgRole(odd), pgDatabase(odd), pgRole(`${odd}-none`), pgDatabase('postgres'), pgDatabase(`${odd}'none`)];
    const { reads, values } = readHere(facts);
    assert.equal(reads, 1);
    const [role, db, noRole, postgres, noDb] = facts.map((f) => values.get(f.key)) as [PgRoleState, unknown, PgRoleState, unknown, unknown];
    assert.ok(role.serverVersion >= 90600, String(role.serverVersion));
    assert.equal(role.exists && role.canLogin, true);
    assert.match(role.passwordHash!, /^(SCRAM-SHA-256\$|md5)/);
    assert.deepEqual(db, { exists: true, owner: odd });
    assert.deepEqual(noRole, { exists: false, canLogin: false, passwordHash: null, serverVersion: role.serverVersion });
    assert.deepEqual(postgres, { exists: true, owner: 'postgres' });
    assert.deepEqual(noDb, { exists: false, owner: '' });
  });

  it('with the server stopped, each of them says a running server is missing', () => {
    execFileSync('service', ['postgresql', 'stop'], { stdio: 'ignore' });
    try {
      const facts = [pgRole(odd), pgDatabase(odd)];
      const { values } = readHere(facts);
      for (const f of facts) assert.match(String(values.get(f.key)), /a running PostgreSQL server/);
    } finally {
      execFileSync('service', ['postgresql', 'start'], { stdio: 'ignore' });
    }
  });
});
