import { MAX_BLUEPRINTS } from './config.js';
import { labDown, labUp } from './lab.js';

/** `npm run lab:up -- N` (1 controller + N blueprints, default 2) and `npm run lab:down`. */
const [command, count] = process.argv.slice(2);
try {
  if (command === 'up') {
    const blueprints = count === undefined ? 2 : Number(count);
    if (!Number.isInteger(blueprints) || blueprints < 1 || blueprints > MAX_BLUEPRINTS) throw new Error(`blueprint count "${count}" must be a whole number from 1 to ${MAX_BLUEPRINTS}`);
    const lab = await labUp(blueprints);
    process.stdout.write(`${lab.inventory}\n`);
  } else if (command === 'down') {
    const left = labDown();
    if (left.length) throw new Error(`could not remove: ${left.join(', ')}`);
  } else {
    throw new Error('usage: lab up [BLUEPRINTS] | lab down');
  }
} catch (err) {
  process.stderr.write(`lab: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
