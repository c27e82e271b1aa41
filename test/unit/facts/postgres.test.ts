import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { conninfoValue, parsePgReplication } from '../../../src/facts/postgres.js';
import { replicationSettings } from '../../../src/ops/postgres.js';

describe('PostgreSQL replication as the server tells it', () => {
  it('a primary: not in recovery, the standbys streaming from it', () => {
    const state = parsePgReplication('false\t/var/lib/postgresql/15/main\t1\t\t10.0.3.8 streaming\t\n');
    assert.deepEqual(state, { inRecovery: false, dataDirectory: '/var/lib/postgresql/15/main', hasMistral: true, receiver: undefined, standbys: [{ address: '10.0.3.8', state: 'streaming' }], conninfoPassword: undefined });
  });

  it('a standby: in recovery, the primary it streams from, the password of its primary_conninfo', () => {
    const conninfo = `user=st2prov_replication password='it\\'s \\'quoted\\' back\\\\slash' channel_binding=prefer host=10.0.3.7 port=5432`;
    const state = parsePgReplication(`true\t/var/lib/postgresql/15/main\t1\tstreaming 10.0.3.7\t\t${conninfo}\n`);
    assert.equal(state.inRecovery, true);
    assert.deepEqual(state.receiver, { status: 'streaming', host: '10.0.3.7' });
    assert.equal(state.conninfoPassword, `it's 'quoted' back\\slash`);
  });

  it('reads one keyword of a connection string, quoted or not', () => {
    assert.equal(conninfoValue('host=10.0.3.7 password=plain port=5432', 'password'), 'plain');
    assert.equal(conninfoValue("password='a b\\'c' host=x", 'password'), "a b'c");
    assert.equal(conninfoValue('host=x', 'password'), undefined);
  });

  it('the settings streaming needs, by version', () => {
    assert.deepEqual(replicationSettings(15), { wal_level: 'replica', max_wal_senders: '10', hot_standby: 'on', wal_keep_size: '1GB' });
    assert.deepEqual(replicationSettings(10), { wal_level: 'replica', max_wal_senders: '10', hot_standby: 'on', wal_keep_segments: '64' });
    assert.equal(replicationSettings(9.5).wal_level, 'hot_standby');
  });
});
