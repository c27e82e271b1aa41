import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { Secret, mask, masked } from '../../../src/core/secret.js';
import type { FileState } from '../../../src/facts/files.js';
import { redisConf, sentinelConf } from '../../../src/ops/redis.js';
import { redisServerEdit, sentinelEdit, sentinelToken } from '../../../src/stackstorm/sentinel.js';

// weak on purpose: what a dictionary finds first, from the password or from its unsalted SHA-256
const REDIS_PASSWORD = 'password1';
const SENTINEL_PASSWORD = 'letmein';
const OLD_PASSWORD = 'summer2019';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** A controller whose file is `content`; facts other than the file are not read by plan. */
const hostWith = (content: string) => ({ name: 'c1', fact: async () => ({ exists: true, mode: 0o640, owner: 'redis', group: 'redis', content, size: Buffer.byteLength(content), sha256: sha256(content) } satisfies FileState) }) as unknown as HostContext;

/** Every form of a secret, and of what is made from it, that must never be shown. */
const derived = (password: string) => [password, sha256(password), sentinelToken(password, 'redis'), sentinelToken(password, 'sentinel'), sha256(sentinelToken(password, 'redis')), sha256(sentinelToken(password, 'sentinel'))];

describe('Redis and Sentinel configs in a diff and in --json: nothing made from a password', () => {
  it('sentinel.conf: the admin user’s and the peers’ password hashes show as #********', async () => {
    const changes = await sentinelConf('/etc/redis/sentinel.conf', sentinelEdit({ master: 'st2-abc123', seed: '10.0.3.7', address: '10.0.3.8', redisPassword: REDIS_PASSWORD, sentinelPassword: SENTINEL_PASSWORD }), {
      service: 'redis-sentinel', listens: { port: 26379 } as never, secrets: [new Secret(REDIS_PASSWORD), new Secret(SENTINEL_PASSWORD)],
    }).plan(hostWith('port 26379\nsentinel monitor mymaster 127.0.0.1 6379 2\n'));
    const diff = changes[0]!.diff!;
    const json = JSON.stringify(masked(changes));
    for (const secret of [...derived(REDIS_PASSWORD), ...derived(SENTINEL_PASSWORD)]) {
      assert.ok(!diff.includes(secret) && !json.includes(secret), `${secret.slice(0, 12)}… shown in:\n${diff}`);
    }
    assert.match(diff, /^\+user st2prov on #\*{8} #\*{8} ~\* &\* \+@all$/m, diff);
    assert.match(diff, /^\+sentinel auth-pass st2-abc123 \*{8}$/m);
    assert.match(diff, /^\+sentinel sentinel-pass \*{8}$/m);
  });

  it('redis.conf: the old password and its hash on lines replaced or dropped are masked too, though st2prov never knew them', async () => {
    const before = `bind 127.0.0.1\nrequirepass ${OLD_PASSWORD}\nmasterauth "${OLD_PASSWORD}"\nuser default on #${sha256(OLD_PASSWORD)} >${OLD_PASSWORD} ~* &* +@all\nuser st2prov-sentinel on #${sha256('old-token')} ~* &* +@all\n`;
    const changes = await redisConf('/etc/redis/redis.conf', redisServerEdit('10.0.3.8', REDIS_PASSWORD), { secrets: [new Secret(REDIS_PASSWORD)] }).plan(hostWith(before));
    const diff = changes[0]!.diff!;
    for (const secret of [...derived(REDIS_PASSWORD), OLD_PASSWORD, sha256(OLD_PASSWORD), sha256('old-token')]) {
      assert.ok(!diff.includes(secret) && !JSON.stringify(masked(changes)).includes(secret), `${secret.slice(0, 12)}… shown in:\n${diff}`);
    }
    assert.match(diff, /^-user default on #\*{8} >\*{8} ~\* &\* \+@all$/m, diff);
    assert.match(diff, /^-requirepass \*{8}$/m);
    assert.match(diff, /^\+requirepass \*{8}$/m);
    assert.match(diff, /^\+user st2prov-sentinel on #\*{8} ~\* &\* \+@all$/m);
    assert.match(diff, /^ bind 127\.0\.0\.1$|^[-+]bind /m, 'other lines are shown as they are');
  });

  it('the hashes are masked wherever else they would stand (an error echoing a line)', () => {
    sentinelEdit({ master: 'm', seed: '10.0.3.7', address: '10.0.3.8', redisPassword: REDIS_PASSWORD, sentinelPassword: SENTINEL_PASSWORD });
    assert.equal(mask(`ERR Error in user declaration 'on #${sha256(SENTINEL_PASSWORD)}'`), "ERR Error in user declaration 'on ********'");
  });
});
