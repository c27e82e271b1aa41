import { MAX_BLUEPRINTS, type LabInit } from './config.js';
import { labDown, labPrepare, labUp } from './lab.js';

/**
 * `npm run lab:up -- N [--init sysvinit]` (1 controller + N blueprints, default 2; hosts boot
 * systemd unless told otherwise) and `npm run lab:down`; `lab prepare` builds the base root
 * and the repository the labs share (test/run.js, before it starts labs side by side).
 */
const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'up') {
    const at = rest.indexOf('--init');
    const init = at >= 0 ? rest.splice(at, 2)[1] : undefined;
    if (init !== undefined && init !== 'systemd' && init !== 'sysvinit') throw new Error(`--init "${init}" must be systemd or sysvinit`);
    const count = rest[0];
    const blueprints = count === undefined ? 2 : Number(count);
    if (!Number.isInteger(blueprints) || blueprints < 1 || blueprints > MAX_BLUEPRINTS) throw new Error(`blueprint count "${count}" must be a whole number from 1 to ${MAX_BLUEPRINTS}`);
    const lab = await labUp(blueprints, init ? { init: init as LabInit } : {});
    process.stdout.write(`${lab.inventory}\n`);
  } else if (command === 'prepare') {
    labPrepare();
  } else if (command === 'down') {
    const left = labDown();
    if (left.length) throw new Error(`could not remove: ${left.join(', ')}`);
  } else {
    throw new Error('usage: lab up [BLUEPRINTS] [--init systemd|sysvinit] | lab prepare | lab down');
  }
} catch (err) {
  process.stderr.write(`lab: ${(err as Error).message}\n`);
  process.exitCode = 1;
}
