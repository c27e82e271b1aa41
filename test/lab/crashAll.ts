import { stopTracked } from '../harness/children.js';
import { labDown, labUp } from './lab.js';
import { applyKilledAt, assertConverges, assertNothingWasCut, assertPackWhole, describePoint, preparePacks, snapshot, type KillPoint } from './crash.js';

/**
 * `npm run crash`: st2prov killed at every step boundary of a first apply of the whole
 * cluster (1 controller + 2 blueprints), in the middle of a file transfer and during an apt
 * transaction, each on fresh lab hosts; after each kill an apply must converge and the next
 * report 0 changed. Long (a first apply per point); CI runs a few of these points
 * (test/lab/trust.test.ts, one after another on one lab). Options: --from N --to M (step boundaries).
 */
const args = process.argv.slice(2);
const option = (name: string, fallback: number) => {
  const at = args.indexOf(`--${name}`);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const points: KillPoint[] = [{ kind: 'apt' }, { kind: 'transfer' }];
for (let n = option('from', 1); n <= option('to', 200); n++) points.push({ kind: 'step', after: n });

// stopped by a signal: the killed apply's run and the lab go too
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    stopTracked();
    labDown();
    process.kill(process.pid, signal);
  });
}

let failed = 0;
for (const point of points) {
  const t0 = Date.now();
  const lab = await labUp(2);
  try {
    const sha = preparePacks(lab);
    const { killed } = await applyKilledAt(lab, point);
    if (!killed) {
      process.stdout.write(`${describePoint(point)}: the apply finished first: every step boundary is covered\n`);
      if (point.kind === 'step') break;
      continue;
    }
    assertPackWhole(lab, sha);
    const afterKill = snapshot(lab);
    await assertConverges(lab);
    assertNothingWasCut(afterKill, snapshot(lab));
    process.stdout.write(`ok   killed ${describePoint(point)} (${((Date.now() - t0) / 1000).toFixed(0)} s)\n`);
  } catch (err) {
    failed++;
    process.stdout.write(`FAIL killed ${describePoint(point)}: ${(err as Error).message}\n`);
  } finally {
    labDown();
  }
}
process.stdout.write(failed ? `${failed} kill point(s) failed\n` : 'every kill point held\n');
process.exitCode = failed ? 1 : 0;
