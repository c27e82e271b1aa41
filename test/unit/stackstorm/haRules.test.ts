import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HASH_MAX, hashRanges, nodeRoles, parseHashRanges, rangesTile } from '../../../src/stackstorm/haRules.js';
import { validateCluster } from '../../../src/stackstorm/topology.js';
import { clusterOf, BLUEPRINTS } from '../../harness/clusters.js';

describe('HA rules', () => {
  it('hash ranges tile [0, 2^32) without gap or overlap for 1 to 40 nodes', () => {
    for (let n = 1; n <= 40; n++) {
      const ranges = hashRanges(n);
      assert.ok(rangesTile(ranges), `${n} nodes`);
      const parsed = ranges.flatMap((r) => parseHashRanges(`name:hash, hash_ranges:${r.text}`)!);
      assert.deepEqual(parsed.map((r) => [r.start, r.end]), ranges.map((r) => [r.start, r.end]));
    }
    assert.equal(hashRanges(3)[0]!.text, 'MIN..1431655765');
    assert.equal(hashRanges(3)[2]!.text, '2863311530..MAX');
  });

  it('tiling checks catch gaps, overlaps and short coverage', () => {
    assert.ok(!rangesTile([{ start: 0, end: 10 }, { start: 11, end: HASH_MAX }]));
    assert.ok(!rangesTile([{ start: 0, end: 10 }, { start: 9, end: HASH_MAX }]));
    assert.ok(!rangesTile([{ start: 0, end: 10 }]));
  });

  it('give timers, garbage collection and default sensors to one node, the first by default', () => {
    const c = clusterOf(BLUEPRINTS(3, 'st2_version=3.8.1'));
    const roles = c.members('blueprint').map((b) => nodeRoles(c, b));
    assert.deepEqual(roles.map((r) => [r.timers, r.garbageCollector, r.sensors, r.registersContent]), [[true, true, true, true], [false, false, false, false], [false, false, false, false]]);
    assert.ok(!roles[1]!.components.includes('st2timersengine'));
    assert.ok(roles[1]!.components.includes('st2api'));
  });

  it('move timers where asked and partition sensors by hash over every node', () => {
    const c = clusterOf(BLUEPRINTS(2, 'st2_timers_node=b2\nsensor_partitioning=hash'));
    const [b1, b2] = c.members('blueprint').map((b) => nodeRoles(c, b));
    assert.equal(b1!.timers, false);
    assert.equal(b2!.timers, true);
    assert.equal(b1!.partitionProvider, 'name:hash, hash_ranges:MIN..2147483648');
    assert.equal(b2!.partitionProvider, 'name:hash, hash_ranges:2147483648..MAX');
  });

  it('refuse file coordination with more than one blueprint, and unknown names', () => {
    const validate = (text: string) => validateCluster(clusterOf(text), { needsController: true });
    assert.throws(() => validate(BLUEPRINTS(2, 'coordination_backend=file')), /file locks do not coordinate/);
    assert.doesNotThrow(() => validate(BLUEPRINTS(1, 'coordination_backend=file')));
    assert.throws(() => validate(BLUEPRINTS(2, 'st2_timers_node=b9')), /not a blueprint of the inventory/);
    assert.throws(() => validate(BLUEPRINTS(2, 'sensor_partitioning=round-robin')), /c\.ini:7: sensor_partitioning: "round-robin" is not one of default, hash, file, kvstore/);
    assert.throws(() => validate(BLUEPRINTS(2).replace(/\[controller\]\nc ansible_host=10.0.3.10\n/, '')), /blueprints but no host in \[controller\]/);
    assert.throws(() => validate(BLUEPRINTS(1).replace('[blueprint]', 'c2 ansible_host=10.0.3.9\n[blueprint]')), /2 hosts in \[controller\]/);
  });
});
