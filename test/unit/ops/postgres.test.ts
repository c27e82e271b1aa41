import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { PlaybookError } from '../../../src/core/errors.js';
import { Secret } from '../../../src/core/secret.js';
import type { PgReplicationState } from '../../../src/facts/postgres.js';
import { postgresRole, postgresStandby } from '../../../src/ops/postgres.js';
import { mask } from '../../../src/core/secret.js';

const PASSWORD = `repl 'pw' "x" \\ $y`;
const fresh: PgReplicationState = { inRecovery: false, dataDirectory: '/var/lib/postgresql/15/main', hasMistral: false, receiver: undefined, standbys: [], conninfoPassword: undefined };
const host = (state: PgReplicationState) => ({
  name: 'c2',
  fact: async (f: { key: string }) => (f.key === 'pg-replication' ? state : f.key === 'pg-config:postgresql.conf' ? { path: '/etc/postgresql/15/main/postgresql.conf', major: 15, state: { exists: true, content: '' } } : undefined),
}) as unknown as HostContext;
const plan = (state: PgReplicationState) => postgresStandby({ primary: '10.0.3.7', user: 'st2prov_replication', password: new Secret(PASSWORD) }).plan(host(state));

describe('PostgreSQL’s standby', () => {
  it('a fresh server becomes a copy of the primary; the summary never holds the password', async () => {
    const changes = await plan(fresh);
    assert.equal(changes.length, 1);
    assert.match(changes[0]!.summary, /a streaming hot standby of 10\.0\.3\.7 from a base backup \(it is a fresh server of its own/);
    assert.ok(!changes[0]!.summary.includes(PASSWORD) && !changes[0]!.summary.includes("'pw'"));
  });

  it('a standby streaming from the primary with the password is left alone', async () => {
    assert.deepEqual(await plan({ ...fresh, inRecovery: true, hasMistral: true, receiver: { status: 'streaming', host: '10.0.3.7' }, conninfoPassword: PASSWORD }), []);
  });

  it('a standby of another primary, or with another password, is copied again', async () => {
    assert.match((await plan({ ...fresh, inRecovery: true, receiver: { status: 'streaming', host: '10.0.3.9' } }))[0]!.summary, /it follows 10\.0\.3\.9/);
    assert.match((await plan({ ...fresh, inRecovery: true, receiver: { status: 'waiting', host: '10.0.3.7' }, conninfoPassword: 'old' }))[0]!.summary, /another password/);
  });

  it('a server that has been a primary (it holds mistral) is refused with the remedy, never overwritten', async () => {
    await assert.rejects(plan({ ...fresh, hasMistral: true }), (err: unknown) => err instanceof PlaybookError && /is a primary holding the mistral database/.test(err.message) && /postgresql_primary=c2/.test(err.message) && /pg_dropcluster --stop 15 main/.test(err.message));
  });
});

describe('PostgreSQL’s role', () => {
  it('the password’s verifier sent on stdin is masked like the password, should psql echo it in an error', async () => {
    for (const serverVersion of [150000, 130000]) {
      const sent: string[] = [];
      const host = {
        name: 'c1',
        fact: async () => ({ exists: false, canLogin: false, passwordHash: null, serverVersion }),
        run: async (_purpose: string, request: { stdin?: string }) => (sent.push(String(request.stdin)), { code: 0, stdout: '', stderr: '' }),
      } as unknown as HostContext;
      const [create] = await postgresRole('mistral', new Secret('weak-mistral')).plan(host);
      await create!.apply!();
      const verifier = /PASSWORD '([^']+)'/.exec(sent[0]!)![1]!;
      assert.match(verifier, serverVersion >= 140000 ? /^SCRAM-SHA-256\$4096:/ : /^md5[0-9a-f]{32}$/);
      assert.equal(mask(`ERROR:  syntax error\nLINE 1: CREATE ROLE "mistral" WITH LOGIN PASSWORD '${verifier}';`).includes(verifier), false);
    }
  });
});

