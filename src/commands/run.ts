import type { Play } from '../core/operation.js';
import type { Mode, RunEvents, RunReport } from '../core/results.js';
import { runPlays, type RunOptions } from '../engine/runner.js';
import { givenSecret, selectRun, type SelectionOptions } from '../inventory/selection.js';
import { renderChanges } from '../report/changes.js';
import { renderJson } from '../report/json.js';
import { lineReporter } from '../report/lines.js';
import { liveReporter } from '../report/live.js';
import { exitCodeOf, renderRecap } from '../report/recap.js';
import { colour, isInteractive, plain } from '../report/style.js';
import { checkExitCode, checkLines, renderCheckJson, renderVerdicts } from '../report/verdicts.js';
import { connectionFactory, type ConnectOptions } from '../ssh/hostConnections.js';
import { OwedHandlers } from '../state/owedHandlers.js';
import { SecretStore } from '../state/secretStore.js';
import { StateFolder } from '../state/stateFolder.js';
import { loadPlaybook } from './playbook.js';

/** The run's policy as the engine takes it, plus what only the command line has. */
export interface RunCommandOptions
  extends SelectionOptions,
    ConnectOptions,
    Pick<RunOptions, 'forks' | 'tags' | 'skipTags' | 'anyErrorsFatal' | 'maxFailPercent' | 'lockWaitSeconds' | 'serial'> {
  mode: Mode;
  playbook: string;
  json: boolean;
  verbose: boolean;
  exitCode: boolean;
  /** plays run after the playbook's (restore's) */
  morePlays?: Play[];
  /** another state folder than the inventory's (restore's dry run reads the backup's secrets from a private copy) */
  stateDir?: string;
}

/**
 * `apply`, `diff` and `check`: one run through the engine. Everything that can be refused
 * (inventory, settings, the playbook's own rules) is refused before any host is contacted.
 * Returns the exit code.
 */
export async function runCommand(options: RunCommandOptions, io = { out: process.stdout, err: process.stderr }, selection = selectRun(options)): Promise<number> {
  for (const warning of selection.settled.warnings) io.err.write(`st2prov: warning: ${warning}\n`);
  const plays = [...(await loadPlaybook(options.playbook)), ...(options.morePlays ?? [])];
  for (const play of plays) play.validate?.(selection.cluster);
  const folder = new StateFolder(options.stateDir ?? selection.inventory.stateDir, options.mode === 'apply');
  const vault = new SecretStore(folder, (name) => givenSecret(selection, name));
  const owed = new OwedHandlers(folder);
  // what the state folder holds is read now: a folder or file st2prov cannot trust or read stops the run before any host
  vault.verify();
  owed.verify();
  const connect = connectionFactory({ ...options, record: options.mode === 'apply' }, selection.hosts);
  const names = selection.hosts.map((h) => h.name);
  const live = !options.json && isInteractive(io.err) ? liveReporter(names) : undefined;
  const events: RunEvents = live?.events ?? (options.json && !options.verbose ? {} : lineReporter({ err: io.err, paint: plain, verbose: options.verbose }));
  let report: RunReport;
  try {
    report = await runPlays(plays, selection.hosts, {
      mode: options.mode,
      forks: options.forks,
      tags: options.tags,
      skipTags: options.skipTags,
      anyErrorsFatal: options.anyErrorsFatal,
      maxFailPercent: options.maxFailPercent,
      lockWaitSeconds: options.lockWaitSeconds,
      ...(options.serial ? { serial: options.serial } : {}),
      connect,
      vault,
      owed,
      cluster: selection.cluster,
      events,
    });
  } finally {
    live?.close();
    await live?.done;
  }
  const paint = isInteractive(io.out) ? colour : plain;
  const about = { playbook: options.playbook, inventory: selection.inventory.file };
  if (options.mode === 'check') {
    const lines = checkLines(report, selection.settled.hosts.map((h) => h.name));
    io.out.write(options.json ? renderCheckJson(lines, report, about) : renderVerdicts(lines, paint));
    return checkExitCode(lines, report);
  }
  if (options.json) io.out.write(renderJson(report, about));
  else {
    if (options.mode === 'diff' || options.verbose) io.out.write(renderChanges(report.results, paint, [...(report.local ? [report.local.host] : []), ...report.recap.map((r) => r.host)]));
    io.out.write(renderRecap(report, paint));
  }
  let code = exitCodeOf(report);
  if (options.mode === 'diff' && options.exitCode && [...report.recap, ...(report.local ? [report.local] : [])].some((r) => r.changed > 0 || r.pending > 0)) code |= 8;
  return code;
}
