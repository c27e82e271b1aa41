import { SecretStore } from '../secretStore.js';
import { runPlays, type RunOptions, type RunReport } from '../engine/runner.js';
import type { RunEvents } from '../engine/events.js';
import { loadPlaybook } from '../playbookLoader.js';
import { projectRoot } from '../paths.js';
import { renderChanges } from '../report/changes.js';
import { renderJson } from '../report/json.js';
import { lineReporter } from '../report/lines.js';
import { liveReporter } from '../report/live.js';
import { exitCodeOf, renderRecap } from '../report/recap.js';
import { colour, isInteractive, plain } from '../report/style.js';
import { connectionFactory, type ConnectOptions } from '../ssh/hostConnections.js';
import { packsDirOf, selectHosts, type SelectionOptions } from './select.js';

/** The run's policy as the runner takes it, plus what only the command line has. */
export interface RunCommandOptions
  extends SelectionOptions,
    ConnectOptions,
    Pick<RunOptions, 'mode' | 'forks' | 'tags' | 'skipTags' | 'anyErrorsFatal' | 'maxFailPercent' | 'lockWaitSeconds'> {
  playbook: string;
  json: boolean;
  verbose: boolean;
  exitCode: boolean;
}

/** `apply` and `diff`: the same run, acting or not. Returns the exit code. */
export async function runCommand(options: RunCommandOptions, io = { out: process.stdout, err: process.stderr }): Promise<number> {
  const { inventory, hosts } = selectHosts(options);
  const plays = await loadPlaybook(options.playbook);
  for (const play of plays) play.validate?.(inventory.hosts.filter((h) => h.groups.includes(play.hosts)));
  const secrets = SecretStore.forInventory(inventory);
  const live = !options.json && isInteractive(io.err) ? liveReporter(hosts.map((h) => h.name)) : undefined;
  const events: RunEvents = live?.events ?? (options.json && !options.verbose ? {} : lineReporter({ err: io.err, paint: plain, verbose: options.verbose }));
  let report: RunReport;
  try {
    report = await runPlays(plays, hosts, {
      mode: options.mode,
      forks: options.forks,
      tags: options.tags,
      skipTags: options.skipTags,
      anyErrorsFatal: options.anyErrorsFatal,
      maxFailPercent: options.maxFailPercent,
      lockWaitSeconds: options.lockWaitSeconds,
      stateDir: inventory.stateDir,
      connect: connectionFactory(options),
      secrets,
      cluster: {
        hosts: inventory.hosts,
        byRole: (role) => inventory.hosts.filter((h) => h.role === role),
        selected: hosts.map((h) => h.name),
        projectDir: projectRoot,
        packsDir: packsDirOf(inventory),
      },
      events,
    });
  } finally {
    live?.close();
    await live?.done;
  }
  const paint = isInteractive(io.out) ? colour : plain;
  if (options.json) io.out.write(renderJson(report, { playbook: options.playbook, inventory: inventory.file }));
  else {
    if (options.mode === 'diff' || options.verbose) io.out.write(renderChanges(report.results, paint));
    io.out.write(renderRecap(report, paint));
  }
  let code = exitCodeOf(report.recap);
  if (options.mode === 'diff' && options.exitCode && report.recap.some((r) => r.changed > 0 || r.pending > 0)) code |= 8;
  return code;
}
