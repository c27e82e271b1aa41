import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { UsageError } from '../../../src/core/errors.js';
import { tierName, tierNames } from '../../../src/stackstorm/material.js';

/** A controller whose state folder holds this tier/names.json. */
const hostWith = (text: string) => ({ name: 'c1', material: () => ({ 'names.json': text }) }) as unknown as HostContext;

describe('the tier’s names, kept in the state folder', () => {
  it('are read as made', () => {
    const host = hostWith('{"replicaSet": "st2-a1b2c3", "sentinelMaster": "st2-a1b2c3", "vrrpRouterId": 42}\n');
    assert.deepEqual(tierNames(host), { replicaSet: 'st2-a1b2c3', sentinelMaster: 'st2-a1b2c3', vrrpRouterId: 42 });
    assert.equal(tierName(host, 'replicaSet'), 'st2-a1b2c3');
  });

  it('of the wrong shape are refused naming the file and the remedy, not written into configs', () => {
    const wrong: [string, RegExp][] = [
      ['5', /it holds a number, not the tier's names/],
      ['null', /it holds null/],
      ['{"replicaSet": 7, "sentinelMaster": "st2-x", "vrrpRouterId": 1}', /replicaSet is a number, not a name/],
      ['{"replicaSet": "st2-x", "sentinelMaster": "a b\\nc", "vrrpRouterId": 1}', /sentinelMaster is text, not a name of letters, digits/],
      ['{"replicaSet": "st2-x", "sentinelMaster": "st2-x"}', /vrrpRouterId is missing, not a whole number from 1 to 255/],
      ['{"replicaSet": "st2-x", "sentinelMaster": "st2-x", "vrrpRouterId": "42"}', /vrrpRouterId is text/],
      ['{"replicaSet": "st2-x", "sentinelMaster": "st2-x", "vrrpRouterId": 256}', /vrrpRouterId is a number, not a whole number from 1 to 255/],
      ['{"replicaSet"', /JSON/],
    ];
    for (const [text, problem] of wrong) {
      assert.throws(() => tierNames(hostWith(text)), (err: unknown) => err instanceof UsageError
        && /^cannot read tier\/names\.json in the state folder: /.test(err.message) && problem.test(err.message) && /put back the copy st2prov made/.test(err.remedy ?? ''), text);
    }
  });
});
