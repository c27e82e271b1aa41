import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { clusterRules, runsTimers, type NodeConfig } from '../../src/checks/haRules.js';
import { apr1 } from '../../src/edit/htpasswd.js';
import type { ClusterView } from '../../src/core/context.js';
import { componentsOf } from '../../src/facts/st2Config.js';
import { resolveInventory } from '../../src/inventory/inventory.js';
import { parseInventory } from '../../src/inventory/parse.js';
import { renderTemplate } from '../../src/ops/template.js';
import { clusterView } from '../../src/inventory/selection.js';
import { settle } from '../../src/inventory/settings.js';
import { HASH_MAX, hashRanges, nodeRoles, parseHashRanges, rangesTile } from '../../src/stackstorm/haRules.js';
import { validateCluster } from '../../src/stackstorm/topology.js';
import { st2Components, st2Features } from '../../src/stackstorm/versions.js';

function cluster(text: string): ClusterView {
  const settled = settle(resolveInventory(parseInventory(text, 'c.ini')));
  return clusterView(settled, settled.hosts.map((h) => h.name));
}

const BLUEPRINTS = (n: number, vars = '') => `[controller]\nc ansible_host=10.0.3.10\n[blueprint]\n${Array.from({ length: n }, (_, i) => `b${i + 1} ansible_host=10.0.3.${11 + i}`).join('\n')}\n[all:vars]\n${vars}\n`;

describe('version gates', () => {
  it('follow StackStorm’s release history', () => {
    assert.deepEqual(st2Components(st2Features('2.7.2')).filter((c) => /timers|workflow|scheduler|results/.test(c)), ['st2resultstracker']);
    assert.deepEqual(st2Components(st2Features('2.10.4')).filter((c) => /timers|workflow|scheduler|results/.test(c)), ['st2resultstracker', 'st2timersengine', 'st2workflowengine', 'st2scheduler']);
    assert.equal(st2Features('3.2.0').mistral, true);
    assert.equal(st2Features('3.3.0').mistral, false);
    assert.equal(st2Features('3.4.0').resultsTracker, false);
    assert.equal(st2Features('2.9.1').notifierScheduler, true);
    assert.equal(cluster(BLUEPRINTS(1, 'st2_version=v3.8')).settings.st2_version, '3.8.0');
    assert.throws(() => cluster(BLUEPRINTS(1, 'st2_version=latest')), /c\.ini:6: st2_version: "latest" is not a version/);
  });
});

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
    const c = cluster(BLUEPRINTS(3, 'st2_version=3.8.1'));
    const roles = c.members('blueprint').map((b) => nodeRoles(c, b));
    assert.deepEqual(roles.map((r) => [r.timers, r.garbageCollector, r.sensors, r.registersContent]), [[true, true, true, true], [false, false, false, false], [false, false, false, false]]);
    assert.ok(!roles[1]!.components.includes('st2timersengine'));
    assert.ok(roles[1]!.components.includes('st2api'));
  });

  it('move timers where asked and partition sensors by hash over every node', () => {
    const c = cluster(BLUEPRINTS(2, 'st2_timers_node=b2\nsensor_partitioning=hash'));
    const [b1, b2] = c.members('blueprint').map((b) => nodeRoles(c, b));
    assert.equal(b1!.timers, false);
    assert.equal(b2!.timers, true);
    assert.equal(b1!.partitionProvider, 'name:hash, hash_ranges:MIN..2147483648');
    assert.equal(b2!.partitionProvider, 'name:hash, hash_ranges:2147483648..MAX');
  });

  it('refuse file coordination with more than one blueprint, and unknown names', () => {
    const validate = (text: string) => validateCluster(cluster(text), { needsController: true });
    assert.throws(() => validate(BLUEPRINTS(2, 'coordination_backend=file')), /file locks do not coordinate/);
    assert.doesNotThrow(() => validate(BLUEPRINTS(1, 'coordination_backend=file')));
    assert.throws(() => validate(BLUEPRINTS(2, 'st2_timers_node=b9')), /not a blueprint of the inventory/);
    assert.throws(() => validate(BLUEPRINTS(2, 'sensor_partitioning=round-robin')), /c\.ini:7: sensor_partitioning: "round-robin" is not one of default, hash, file, kvstore/);
    assert.throws(() => validate(BLUEPRINTS(2).replace(/\[controller\]\nc ansible_host=10.0.3.10\n/, '')), /blueprints but no host in \[controller\]/);
    assert.throws(() => validate(BLUEPRINTS(1).replace('[blueprint]', 'c2 ansible_host=10.0.3.9\n[blueprint]')), /2 hosts in \[controller\]/);
  });
});

describe('the shared st2.conf template', () => {
  const render = (version: string, index: number) => {
    const c = cluster(BLUEPRINTS(2, `st2_version=${version}`));
    const node = c.members('blueprint')[index]!;
    return renderTemplate('st2.conf.ejs', {
      features: st2Features(version), node: { name: node.name, ...nodeRoles(c, node) }, controller: '10.0.3.10', lb_url: 'https://10.0.3.10',
      messaging_url: 'amqp://st2:p%40ss@10.0.3.10:5672/', coordination_url: 'redis://:x@10.0.3.10:6379',
    });
  };

  it('on 3.x: timers engine keys, no Mistral, the password URL-encoded', () => {
    const conf = render('3.8.1', 1);
    assert.match(conf, /^\[timersengine\]\nenable = False$/m);
    assert.match(conf, /^\[timer\]\nenable = False$/m);
    assert.doesNotMatch(conf, /^\[mistral\]/m);
    assert.match(conf, /^url = amqp:\/\/st2:p%40ss@10\.0\.3\.10:5672\/$/m);
  });

  it('before 2.9: [timer] enable on the timers node only, and the notifier scheduler', () => {
    assert.match(render('2.8.1', 0), /^\[timer\]\nenable = True$/m);
    assert.match(render('2.8.1', 1), /^\[timer\]\nenable = False$/m);
    assert.doesNotMatch(render('2.8.1', 0), /timersengine/);
    assert.match(render('2.8.1', 0), /^\[scheduler\]\nenable = True$/m);
    assert.match(render('2.10.4', 0), /^\[mistral\]\n(#.*\n)*v2_base_url = https:\/\/10\.0\.3\.10\/mistral\/v2$/m);
  });

  it('names a variable nobody set', () => {
    assert.throws(() => renderTemplate('st2.conf.ejs', { features: st2Features('3.8.1') }), /template st2\.conf\.ejs line \d+ uses variable "lb_url", which is not defined/);
  });
});

describe('cluster rules of st2prov check', () => {
  const node = (name: string, conf: string, components: string): NodeConfig => ({ name, st2conf: conf, components: componentsOf(`COMPONENTS="${components}"\n`) });
  const all = 'st2api st2rulesengine st2sensorcontainer st2timersengine st2garbagecollector st2notifier';

  it('count a 3.x node as a timers node by the engine’s own logic', () => {
    const f = st2Features('3.8.1');
    assert.equal(runsTimers(node('a', '[timersengine]\nenable = False\n', all), f), false);
    assert.equal(runsTimers(node('a', '[timer]\nenable = False\n', all), f), true, '[timersengine] enable defaults to true');
    assert.equal(runsTimers(node('a', '[timersengine]\nenable = True\n', 'st2api'), f), false, 'not started by st2ctl');
  });

  it('fail two timers nodes and a gap in hash ranges', () => {
    const f = st2Features('3.8.1');
    const results = clusterRules([
      node('a', '[sensorcontainer]\nsensor_node_name = a\npartition_provider = name:hash, hash_ranges:MIN..100\n', all),
      node('b', '[sensorcontainer]\nsensor_node_name = b\npartition_provider = name:hash, hash_ranges:200..MAX\n', 'st2api st2sensorcontainer st2timersengine'),
    ], f);
    const byRule = Object.fromEntries(results.map((r) => [r.check, r.ok]));
    assert.equal(byRule['exactly one timers node'], false);
    assert.equal(byRule['sensor partitions'], false);
    assert.equal(byRule['exactly one garbage collector'], true);
  });
});

describe('htpasswd', () => {
  it('APR1 MD5 agrees with openssl passwd -apr1', () => {
    for (const [password, salt] of [['Ch@nge me', 'fNN09TvT'], ['', 'abcdefgh'], ['a much longer password than sixteen bytes', '12345678']] as const) {
      const expected = spawnSync('openssl', ['passwd', '-apr1', '-salt', salt, password], { encoding: 'utf8' }).stdout.trim();
      assert.equal(apr1(password, salt), expected);
    }
  });
});
