import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { editRedisConf, redisArgs } from '../../../src/edit/redisConf.js';
import { SENTINEL_REDIS_USER, redisServerEdit, sentinelEdit, sentinelToken } from '../../../src/stackstorm/sentinel.js';

const HOSTILE = `pw with spaces 'single' "double" $HOME \`id\` back\\slash #hash !bang é中`;
const SENTINEL_CONF = '# Example sentinel.conf\nport 26379\ndaemonize yes\nsentinel monitor mymaster 127.0.0.1 6379 2\nsentinel down-after-milliseconds mymaster 30000\n';
const spec = { master: 'st2-abc123', seed: '10.0.3.7', address: '10.0.3.8', redisPassword: HOSTILE, sentinelPassword: `${HOSTILE} admin` };

/** The arguments of the first line whose arguments start with these words, as Redis reads it. */
const line = (text: string, ...id: string[]) => text.split('\n').map(redisArgs).find((a) => a && id.every((w, i) => a[i] === w));

/** What Sentinel writes when it rewrites its file: each argument as it holds it, unquoted (sentinel.c, "%s"). */
const sentinelRewrite = (text: string) => text.split('\n').map((l) => {
  const args = redisArgs(l);
  return args && args[0] === 'sentinel' ? args.join(' ') : l;
}).join('\n');

describe('Redis and Sentinel configs with hostile passwords', () => {
  it('redis.conf holds the password quoted as Redis reads it back, and a user for Sentinel with a token', () => {
    const text = editRedisConf('bind 127.0.0.1\n# requirepass foobared\n', redisServerEdit('10.0.3.8', HOSTILE));
    assert.deepEqual(line(text, 'requirepass'), ['requirepass', HOSTILE]);
    assert.deepEqual(line(text, 'masterauth'), ['masterauth', HOSTILE]);
    assert.deepEqual(line(text, 'bind'), ['bind', '10.0.3.8', '127.0.0.1']);
    const user = line(text, 'user', SENTINEL_REDIS_USER)!;
    assert.ok(user.includes('on') && user.includes('+@all') && user.some((r) => /^#[0-9a-f]{64}$/.test(r)), user.join(' '));
    assert.equal(editRedisConf(text, redisServerEdit('10.0.3.8', HOSTILE)), text, 'a second edit changes nothing');
  });

  it('sentinel.conf never holds a password given by the operator: Sentinel logs in with tokens it can write back whole', () => {
    const text = editRedisConf(SENTINEL_CONF, sentinelEdit(spec));
    assert.ok(!text.includes('pw with spaces'), text);
    assert.deepEqual(line(text, 'sentinel', 'auth-user'), ['sentinel', 'auth-user', spec.master, SENTINEL_REDIS_USER]);
    assert.deepEqual(line(text, 'sentinel', 'auth-pass'), ['sentinel', 'auth-pass', spec.master, sentinelToken(HOSTILE, 'redis')]);
    assert.deepEqual(line(text, 'sentinel', 'sentinel-pass'), ['sentinel', 'sentinel-pass', sentinelToken(spec.sentinelPassword, 'sentinel')]);
    assert.deepEqual(line(text, 'sentinel', 'monitor'), ['sentinel', 'monitor', spec.master, '10.0.3.7', '6379', '2']);
    assert.equal(line(text, 'sentinel', 'down-after-milliseconds', 'mymaster'), undefined, 'the package’s example master is gone');
    // Sentinel rewrites the file in its own way: the next apply finds nothing to change
    const rewritten = sentinelRewrite(text);
    assert.equal(editRedisConf(rewritten, sentinelEdit(spec)), rewritten);
  });

  it('the seed master is written once: Sentinel owns it after a failover', () => {
    const failedOver = editRedisConf(SENTINEL_CONF, sentinelEdit(spec)).replace(`sentinel monitor ${spec.master} 10.0.3.7`, `sentinel monitor ${spec.master} 10.0.3.9`);
    assert.deepEqual(line(editRedisConf(failedOver, sentinelEdit(spec)), 'sentinel', 'monitor'), ['sentinel', 'monitor', spec.master, '10.0.3.9', '6379', '2']);
  });

  it('tokens are hex, the same for the same password, and differ by password and purpose', () => {
    const t = sentinelToken(HOSTILE, 'redis');
    assert.match(t, /^[0-9a-f]{64}$/);
    assert.equal(sentinelToken(HOSTILE, 'redis'), t);
    assert.notEqual(sentinelToken(`${HOSTILE}x`, 'redis'), t);
    assert.notEqual(sentinelToken(HOSTILE, 'sentinel'), t);
  });
});
