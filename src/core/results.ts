import type { Change } from './change.js';

export type Mode = 'diff' | 'apply' | 'check';

export type StepStatus = 'ok' | 'changed' | 'pending' | 'failed' | 'skipped' | 'unreachable';

/** One verdict of a check: what was checked, whether it holds, and what was seen. */
export interface Verdict {
  check: string;
  ok: boolean;
  detail?: string;
}

export interface StepResult {
  host: string;
  play: string;
  step: string;
  status: StepStatus;
  changes: Change[];
  /** what the step's checks found (check runs) */
  verdicts?: Verdict[];
  /** why: the error, the skip reason, or the step a pending one waits for */
  reason?: string;
  ms: number;
}

export type HostOutcome = 'ok' | 'failed' | 'unreachable' | 'stopped';

export interface HostRecap {
  host: string;
  ok: number;
  changed: number;
  pending: number;
  failed: number;
  skipped: number;
  unreachable: number;
  ms: number;
  /** why the host failed, was unreachable or stopped */
  reason?: string;
}

export interface RunReport {
  mode: Mode;
  results: StepResult[];
  /** the inventory's hosts of this run */
  recap: HostRecap[];
  /** the control machine's own steps (plays on localhost), when it had work */
  local?: HostRecap;
  /** a rule of the playbook refused the run on the control machine before any host was changed: why */
  refused?: string;
  /** what the run found wrong on hosts it leaves out (--limit, --role) and did not touch: each by name, with the remedy */
  warnings?: RunWarning[];
  ms: number;
}

/** Something wrong on a host this run does not work on, which the operator must hear of. */
export interface RunWarning {
  host: string;
  reason: string;
  remedy: string;
}

/** The name of the control machine in plays, results and the recap, as in Ansible. */
export const LOCALHOST = 'localhost';

/** What the engine tells reporters; reporters never drive the work. */
export interface RunEvents {
  stepStarted?(host: string, play: string, step: string): void;
  stepFinished?(result: StepResult): void;
  hostFinished?(host: string, play: string, outcome: HostOutcome, reason?: string): void;
  message?(host: string, text: string): void;
}
