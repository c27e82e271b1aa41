import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSrvr } from '../../../src/probes/zookeeper.js';

describe('ZooKeeper’s srvr', () => {
  it('gives the server’s mode, or its own words when it has none', () => {
    assert.equal(parseSrvr('Zookeeper version: 3.8.0\nLatency min/avg/max: 0/0.0/0\nMode: follower\nNode count: 5\n'), 'follower');
    assert.equal(parseSrvr('This ZooKeeper instance is not currently serving requests\n'), 'This ZooKeeper instance is not currently serving requests');
    assert.equal(parseSrvr('srvr is not executed because it is not in the whitelist.\n'), 'srvr is not executed because it is not in the whitelist.');
    assert.equal(parseSrvr(''), 'no answer');
  });
});
