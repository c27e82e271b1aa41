import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RunReport } from '../../../src/core/results.js';
import { renderJson } from '../../../src/report/json.js';
import { exitCodeOf, renderRecap } from '../../../src/report/recap.js';
import { plain } from '../../../src/report/style.js';

describe('the recap of a run that leaves out a host out of service', () => {
  const report: RunReport = {
    mode: 'apply',
    results: [],
    recap: [{ host: 'bp-2', ok: 3, changed: 0, pending: 0, failed: 0, skipped: 0, unreachable: 0, ms: 10 }],
    warnings: [{ host: 'bp-1', reason: 'out of the load balancer on lb-1; this run leaves it out (--limit, --role)', remedy: 'st2prov apply --limit bp-1 puts it back' }],
    ms: 10,
  };

  it('names the host, why, and the remedy, in the recap and in --json; it is no failure of the run', () => {
    assert.ok(renderRecap(report, plain).split('\n').includes('warning: bp-1: out of the load balancer on lb-1; this run leaves it out (--limit, --role). st2prov apply --limit bp-1 puts it back'), renderRecap(report, plain));
    assert.deepEqual((JSON.parse(renderJson(report)) as { warnings: unknown }).warnings, report.warnings);
    assert.equal(exitCodeOf(report), 0);
  });

  it('a run with nothing to warn of has no warning line and no "warnings" in --json', () => {
    const { warnings: _, ...quiet } = report;
    assert.doesNotMatch(renderRecap(quiet, plain), /warning/);
    assert.ok(!('warnings' in (JSON.parse(renderJson(quiet)) as object)));
  });
});
