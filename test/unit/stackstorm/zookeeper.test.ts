import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { zookeeperSettings } from '../../../src/stackstorm/zookeeper.js';
import { coordinationUrl } from '../../../src/stackstorm/urls.js';
import { BLUEPRINTS, TIER, clusterOf } from '../../harness/clusters.js';

const on = (text: string, group: string, index: number) => {
  const cluster = clusterOf(text);
  const host = cluster.members(group)[index]!;
  return { cluster, host, name: host.name, settings: cluster.settings } as unknown as HostContext;
};

describe('ZooKeeper for coordination, with one controller or three', () => {
  it('one controller: one server on the controller address, id 1, no ensemble, tooz’s URL naming it', () => {
    const one = BLUEPRINTS(1, 'coordination_backend=zookeeper');
    const { settings, myid } = zookeeperSettings(on(one, 'controller', 0));
    assert.equal(myid, '1', 'not the package’s placeholder, which ZooKeeper refuses even alone');
    assert.equal(settings.clientPortAddress, '10.0.3.10');
    assert.ok(!Object.keys(settings).some((k) => k.startsWith('server.')));
    assert.equal(settings.dataDir, '/var/lib/zookeeper');
    assert.equal(coordinationUrl(on(one, 'blueprint', 0)), 'zookeeper://10.0.3.10:2181');
  });

  it('three controllers: an ensemble of the three, each its own id, tooz’s URL listing every member', () => {
    const tier = TIER(1, 'coordination_backend=zookeeper');
    const ids = [0, 1, 2].map((i) => zookeeperSettings(on(tier, 'controller', i)));
    assert.deepEqual(ids.map((s) => s.myid), ['1', '2', '3']);
    assert.deepEqual(Object.entries(ids[1]!.settings).filter(([k]) => k.startsWith('server.')), [['server.1', '10.0.3.7:2888:3888'], ['server.2', '10.0.3.8:2888:3888'], ['server.3', '10.0.3.9:2888:3888']]);
    assert.match(ids[0]!.settings['4lw.commands.whitelist']!, /srvr/);
    assert.equal(coordinationUrl(on(tier, 'blueprint', 0)), 'zookeeper://10.0.3.7:2181,10.0.3.8:2181,10.0.3.9:2181');
  });

  it('an ensemble of your own: coordination_url as given', () => {
    assert.equal(coordinationUrl(on(TIER(1, 'coordination_backend=zookeeper\ncoordination_url=zookeeper://zk1:2181,zk2:2181'), 'blueprint', 0)), 'zookeeper://zk1:2181,zk2:2181');
  });
});
