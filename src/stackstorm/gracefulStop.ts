import { lazy } from '../core/lazy.js';
import type { St2Features } from './versions.js';

const gte = lazy<typeof import('semver').gte>('semver/functions/gte');

/*
 * On SIGTERM st2's action runners (and from 3.6 its workflow engine) shut down gracefully:
 * they wait up to exit_still_active_check seconds (300 by default, [actionrunner] and
 * [workflow_engine]) for the work in flight to finish. Their packaged units give a stop
 * TimeoutSec=60, after which systemd kills them: every restart, and every node of a rolling
 * upgrade, would then lose running executions. A drop-in gives the stop the wait and a margin.
 * st2actionrunner itself is a oneshot whose ExecStop stops the workers: it needs the same time.
 */
export const ST2_SHUTDOWN_WAIT_SECONDS = 300;
const MARGIN_SECONDS = 30;

export function gracefulStopUnits(f: St2Features): string[] {
  return [
    'st2actionrunner.service',
    'st2actionrunner@.service',
    ...(f.workflowEngine && gte()(f.version, '3.6.0') ? ['st2workflowengine.service'] : []),
  ];
}

export const GRACEFUL_STOP_DROP_IN = `# st2prov: st2 waits up to ${ST2_SHUTDOWN_WAIT_SECONDS} s for running work when it stops; systemd must not kill it sooner
[Service]
TimeoutStopSec=${ST2_SHUTDOWN_WAIT_SECONDS + MARGIN_SECONDS}
`;
