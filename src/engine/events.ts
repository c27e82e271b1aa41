import type { StepResult } from './change.js';

export type HostOutcome = 'ok' | 'failed' | 'unreachable' | 'stopped';

/** What the runner tells reporters; reporters never drive the work. */
export interface RunEvents {
  hostStarted?(host: string, play: string): void;
  stepStarted?(host: string, play: string, step: string): void;
  stepFinished?(result: StepResult): void;
  hostFinished?(host: string, play: string, outcome: HostOutcome, reason?: string): void;
  message?(host: string, text: string): void;
}
