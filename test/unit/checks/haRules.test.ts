import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { clusterRules, runsTimers, type NodeConfig } from '../../../src/checks/haRules.js';
import { componentsOf } from '../../../src/facts/st2Config.js';
import { st2Features } from '../../../src/stackstorm/versions.js';

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
