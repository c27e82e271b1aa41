import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { Secret } from '../../../src/core/secret.js';
import { amqpClusterUrls, amqpUrl, coordinationUrl, databaseHost } from '../../../src/stackstorm/urls.js';
import { BLUEPRINTS, TIER, clusterOf } from '../../harness/clusters.js';

const PASSWORD = 'p@ss word/:%';
const blueprint = (text: string) => {
  const cluster = clusterOf(text);
  const host = cluster.members('blueprint')[0]!;
  return {
    cluster, host, name: host.name, settings: cluster.settings,
    secret: () => new Secret(PASSWORD),
    material: () => ({ 'names.json': JSON.stringify({ replicaSet: 'st2-abc', sentinelMaster: 'st2-abc', vrrpRouterId: 7 }) }),
  } as unknown as HostContext;
};
const P = encodeURIComponent(PASSWORD);

describe('connection URLs, one controller or the tier', () => {
  it('one controller: every URL at the controller', () => {
    const h = blueprint(BLUEPRINTS(1));
    assert.equal(coordinationUrl(h), `redis://:${P}@10.0.3.10:6379`);
    assert.equal(databaseHost(h), '10.0.3.10');
    assert.equal(amqpUrl(h, 'rabbit'), `rabbit://st2:${P}@10.0.3.10:5672/`);
    assert.equal(amqpClusterUrls(h), undefined);
  });

  it('the tier: Sentinel’s form for tooz, a replica-set URI, every RabbitMQ node', () => {
    const h = blueprint(TIER(1));
    assert.equal(coordinationUrl(h), `redis://:${P}@10.0.3.7:26379?sentinel=st2-abc&sentinel_fallback=10.0.3.8:26379&sentinel_fallback=10.0.3.9:26379`);
    assert.equal(databaseHost(h), 'mongodb://10.0.3.7:27017,10.0.3.8:27017,10.0.3.9:27017/?replicaSet=st2-abc');
    assert.equal(amqpUrl(h, 'rabbit'), ['10.0.3.7', '10.0.3.8', '10.0.3.9'].map((a, i) => `${i ? '' : 'rabbit://'}st2:${P}@${a}:5672`).join(',') + '/');
    assert.deepEqual(amqpClusterUrls(h), ['10.0.3.7', '10.0.3.8', '10.0.3.9'].map((a) => `amqp://st2:${P}@${a}:5672/`));
  });
});
