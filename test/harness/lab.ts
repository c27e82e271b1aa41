import { after, before } from 'node:test';
import { labDown, labUp, type Lab, type LabOptions } from '../lab/lab.js';
import { stopTracked } from './children.js';

/**
 * Gives a test file a fresh lab (1 controller + `blueprints`), always torn down: after the
 * tests, on failure, and on SIGINT/SIGTERM. No lab (not root, no namespaces) fails loudly.
 */
export function useLab(blueprints: number, options: LabOptions = {}): () => Lab {
  let lab: Lab | undefined;
  const teardown = () => {
    const left = labDown();
    if (left.length) process.stderr.write(`lab teardown left: ${left.join(', ')}\n`);
    return left;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    stopTracked();
    teardown();
    process.kill(process.pid, signal);
  };
  before(async () => {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    lab = await labUp(blueprints, options);
  });
  after(() => {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    teardown();
  });
  return () => {
    if (!lab) throw new Error('the lab did not come up (see the before hook’s error)');
    return lab;
  };
}
