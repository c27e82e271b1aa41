import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { st2Components, st2Features } from '../../../src/stackstorm/versions.js';
import { clusterOf, BLUEPRINTS } from '../../harness/clusters.js';

describe('version gates', () => {
  it('follow StackStorm’s release history', () => {
    assert.deepEqual(st2Components(st2Features('2.7.2')).filter((c) => /timers|workflow|scheduler|results/.test(c)), ['st2resultstracker']);
    assert.deepEqual(st2Components(st2Features('2.10.4')).filter((c) => /timers|workflow|scheduler|results/.test(c)), ['st2resultstracker', 'st2timersengine', 'st2workflowengine', 'st2scheduler']);
    assert.equal(st2Features('3.2.0').mistral, true);
    assert.equal(st2Features('3.3.0').mistral, false);
    assert.equal(st2Features('3.4.0').resultsTracker, false);
    assert.equal(st2Features('2.9.1').notifierScheduler, true);
    assert.equal(clusterOf(BLUEPRINTS(1, 'st2_version=v3.8')).settings.st2_version, '3.8.0');
    assert.throws(() => clusterOf(BLUEPRINTS(1, 'st2_version=latest')), /c\.ini:6: st2_version: "latest" is not a version/);
  });
});
