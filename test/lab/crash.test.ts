import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { useLab } from '../harness/lab.js';
import { applyKilledAt, assertConverges, assertNothingWasCut, assertPackWhole, describePoint, preparePacks, snapshot, type KillPoint } from './crash.js';

/**
 * CI's share of the crash-consistency runs (`npm run crash` runs every step boundary on
 * 1+2): st2prov killed with SIGKILL during a first apply of a whole cluster (1+1 here, to
 * keep CI short), then an apply converges.
 */
const POINTS: KillPoint[] = [{ kind: 'apt' }, { kind: 'step', after: 10 }, { kind: 'transfer' }];

for (const point of POINTS) {
  describe(`st2prov killed ${describePoint(point)} of a first apply (1 controller + 1 blueprint)`, () => {
    const lab = useLab(1);
    let afterKill = new Map<string, Map<string, string>>();

    it('is killed there', async () => {
      const sha = preparePacks(lab());
      const { killed } = await applyKilledAt(lab(), point);
      assert.ok(killed, 'the kill point was reached before the run ended');
      assertPackWhole(lab(), sha);
      afterKill = snapshot(lab());
    });

    it('the next apply converges, the one after changes nothing, no handler is owed, nothing is left', async () => {
      await assertConverges(lab());
    });

    it('no file it manages was live half-written', () => {
      assertNothingWasCut(afterKill, snapshot(lab()));
    });
  });
}
