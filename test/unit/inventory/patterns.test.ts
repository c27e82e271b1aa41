import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { UsageError } from '../../../src/core/errors.js';
import { resolveInventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';
import { selectRun } from '../../../src/inventory/selection.js';
import { tempDir } from '../../harness/tempDir.js';
import { st2prov } from '../../harness/cli.js';

const inv = resolveInventory(parseInventory(`
[controller]
st2-multi-node-cntl

[blueprint]
st2-multi-node-[1:3]

[east]
st2-multi-node-1
st2-multi-node-cntl

[st2:children]
controller
blueprint
`, 'p.ini'));

describe('host patterns (--limit)', () => {
  const cases: [string, string[]][] = [
    ['all', ['st2-multi-node-cntl', 'st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['blueprint', ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['st2-multi-node-2,st2-multi-node-cntl', ['st2-multi-node-cntl', 'st2-multi-node-2']],
    ['controller:blueprint', ['st2-multi-node-cntl', 'st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['blueprint:!st2-multi-node-2', ['st2-multi-node-1', 'st2-multi-node-3']],
    ['st2:&east', ['st2-multi-node-cntl', 'st2-multi-node-1']],
    ['st2:&east:!controller', ['st2-multi-node-1']],
    ['st2-multi-node-?', ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']],
    ['*cntl', ['st2-multi-node-cntl']],
    ['~node-[23]$', ['st2-multi-node-2', 'st2-multi-node-3']],
  ];
  for (const [pattern, expected] of cases) {
    it(`"${pattern}"`, () => assert.deepEqual(inv.select(pattern), expected));
  }

  it('a pattern that matches nothing is a usage error naming the remedy', () => {
    assert.throws(() => inv.select('st2-multi-node-9'), (err: unknown) => err instanceof UsageError && /matches no host/.test(err.message));
  });

  // Ansible 2.14 (Debian 12's) takes "", "," and " " for no limit and runs on every host
  // (ansible/ansible issues 83264, 85278); "a,,b" and "a," it reads as a and b. A limit is
  // what stands between a CI variable left empty and every host of the cluster, so st2prov
  // refuses a limit, or a term of one, that says nothing.
  const refusedLimits: [string, RegExp][] = [
    ['', /--limit "" is empty: it would select every host/],
    ['   ', /--limit "   " is empty/],
    [',', /holds no pattern, only ","/],
    [' , ,', /holds no pattern, only ","/],
    [':', /holds no pattern, only ":"/],
    ['st2-multi-node-1,,st2-multi-node-2', /pattern 2 of 3 is empty/],
    ['st2-multi-node-1,', /pattern 2 of 2 is empty/],
    [',st2-multi-node-1', /pattern 1 of 2 is empty/],
    ['blueprint::controller', /pattern 2 of 3 is empty/],
    ['all:!', /pattern 2 of 2 is "!" with nothing after it, which excludes no host/],
    ['all,! ', /pattern 2 of 2 is "!" with nothing after it/],
    ['blueprint:&', /pattern 2 of 2 is "&" with nothing after it/],
    ['~', /pattern 1 of 1 is "~" with no regular expression, which matches every name/],
    ['!~', /"~" with no regular expression/],
  ];
  for (const [pattern, problem] of refusedLimits) {
    it(`refuses --limit "${pattern}": a pattern, or a term of one, that names nothing`, () => {
      assert.throws(() => inv.select(pattern), (err: unknown) => err instanceof UsageError && problem.test(err.message) && /leave --limit out|remove the extra|write|\bNAME\b/.test(err.remedy ?? ''));
    });
  }

  it('an empty --limit reaches the pattern: it is not taken for no --limit', () => {
    const file = join(tempDir('limit'), 'inventory.ini');
    writeFileSync(file, '[controller]\nc1\n[blueprint]\nb1\nb2\n');
    assert.deepEqual(selectRun({ inventory: file, extraVars: [] }).hosts.map((h) => h.name), ['c1', 'b1', 'b2']);
    assert.throws(() => selectRun({ inventory: file, limit: '', extraVars: [] }), /--limit "" is empty/);
    assert.deepEqual(selectRun({ inventory: file, limit: 'b2', extraVars: [] }).hosts.map((h) => h.name), ['b2']);
  });

  it('st2prov hosts --limit "" exits 1 naming the option and the remedy, and prints no host', async () => {
    const file = join(tempDir('limit'), 'inventory.ini');
    writeFileSync(file, '[controller]\nc1\n[blueprint]\nb1\n');
    for (const limit of ['', ',', 'b1,,c1']) {
      const run = await st2prov(['hosts', file, '--limit', limit]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^st2prov: --limit "[^"]*": |^st2prov: --limit "[^"]*" /);
      assert.match(run.stderr, /\n  (?:name hosts or groups .*leave --limit out to select every host|remove the extra ",")/);
      assert.equal(run.stdout, '');
    }
  });
});
