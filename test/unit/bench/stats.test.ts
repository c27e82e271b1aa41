import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lineChart } from '../../../bench/chart.js';
import { fit, median } from '../../../bench/stats.js';
import { formatTimings, parseTimings } from '../../../src/core/timings.js';

describe('benchmark arithmetic', () => {
  it('medians of odd and even counts', () => {
    assert.equal(median([3, 1, 2]), 2);
    assert.equal(median([4, 1, 3, 2]), 2.5);
    assert.ok(Number.isNaN(median([])));
  });

  it('a least-squares line: per-host cost and the fixed part', () => {
    const f = fit([[2, 1.2], [10, 2.0], [20, 3.0], [50, 6.0]]);
    assert.ok(Math.abs(f.slope - 0.1) < 1e-9, String(f.slope));
    assert.ok(Math.abs(f.intercept - 1.0) < 1e-9, String(f.intercept));
  });

  it('reads back what ST2PROV_TIMINGS wrote, ignoring other output', () => {
    const t = parseTimings('3 host(s), 0 step(s) changed\ntimings: start 312 ms\ntimings: st2-multi-node-1 connect 212 ms lock 38 ms probe 23,145,452 ms\ntimings: not a timing line\n');
    assert.equal(t.start, 312);
    assert.deepEqual(Object.fromEntries(t.hosts.get('st2-multi-node-1')!), { connect: [212], lock: [38], probe: [23, 145, 452] });
    assert.deepEqual([...t.hosts.keys()], ['st2-multi-node-1'], 'a line without phases is not a host');
  });

  it('reads back exactly what the writer writes (one module owns the format)', () => {
    const written = { start: 371.6, hosts: new Map([['st2-multi-node-cntl', new Map([['connect', [239.2]], ['lock', [66]], ['probe', [319, 99.4, 21]]])], ['b.example', new Map([['connect', [12]]])]]) };
    const read = parseTimings(['noise', ...formatTimings(written)].join('\n'));
    assert.equal(read.start, 372);
    assert.deepEqual([...read.hosts].map(([h, p]) => [h, Object.fromEntries(p)]), [['st2-multi-node-cntl', { connect: [239], lock: [66], probe: [319, 99, 21] }], ['b.example', { connect: [12] }]]);
  });

  it('draws each series as a line with its points and a legend, on a log axis when asked', () => {
    const svg = lineChart({ title: 'A & B', xLabel: 'hosts', yLabel: 's', logY: true, series: [{ name: 'one', color: '#000', points: [[2, 0.5], [10, 1.5], [50, 12]] }, { name: 'two', color: '#f00', dashed: true, points: [[2, 20]] }] });
    assert.match(svg, /^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    assert.equal((svg.match(/<polyline/g) ?? []).length, 1, 'a single point is no line');
    assert.equal((svg.match(/<circle/g) ?? []).length, 4);
    assert.match(svg, /A &amp; B/);
    assert.match(svg, />0\.5</, 'log ticks at 1-2-5');
    assert.throws(() => lineChart({ title: 'empty', xLabel: '', yLabel: '', series: [] }), /no points/);
  });
});
