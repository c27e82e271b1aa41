import type { ExecResult } from './command.js';
import { RemoteCommandError } from './errors.js';

/**
 * A read-only probe: one command and a parser of what it prints. Facts with the same key
 * are read once per host until an applied change makes the host forget them.
 */
export interface Fact<T> {
  key: string;
  argv: readonly string[];
  parse(result: ExecResult): T;
}

export function fact<T>(key: string, argv: readonly string[], parse: (result: ExecResult) => T): Fact<T> {
  return { key, argv, parse };
}

/** A fact whose command must succeed; its stdout is parsed. */
export function strictFact<T>(key: string, argv: readonly string[], parse: (stdout: string) => T): Fact<T> {
  return fact(key, argv, (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading ${key}`, r.code, r.stderr);
    return parse(r.stdout);
  });
}
