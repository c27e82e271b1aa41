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
  /** set when the fact reads one list of names among others of its kind (see Family) */
  family?: Family<T>;
  /** set when the fact is worked out from other facts, and has no read of its own (see derivedFact) */
  derived?: Derived<T>;
}

/** A fact's value worked out from the values of other facts (none: a value known without asking). */
export interface Derived<T> {
  from: readonly Fact<unknown>[];
  value(values: readonly unknown[]): T;
}

/**
 * Facts that read the same thing for different lists of names (the state of units, installed
 * packages). Asked together, they are read by one command over all their names, and each
 * takes its own part: a host's probe runs one `systemctl show` instead of one per play step.
 */
export interface Family<T> {
  /** which kind of fact: facts of one id are read together */
  id: string;
  names: readonly string[];
  /** the fact that reads all these names at once */
  whole(names: readonly string[]): Fact<unknown>;
  /** the value for `names` out of the value the whole read for `wholeNames` */
  part(whole: unknown, names: readonly string[], wholeNames: readonly string[]): T;
}

/** A fact of a family whose whole reads a value of type W. */
export function familyFact<T, W>(
  id: string,
  names: readonly string[],
  whole: (names: readonly string[]) => Fact<W>,
  part: (whole: W, names: readonly string[], wholeNames: readonly string[]) => T,
): Fact<T> {
  const alone = whole(names);
  return { key: alone.key, argv: alone.argv, parse: (r) => part(alone.parse(r), names, names), family: { id, names, whole, part: (w, n, all) => part(w as W, n, all) } };
}

/**
 * A fact worked out from another one's value: asked for, it reads that one (or finds it read by
 * an earlier probe of the host) and makes no read of its own.
 */
export function derivedFact<T, B>(key: string, base: Fact<B>, value: (b: B) => T): Fact<T> {
  return { key, argv: base.argv, parse: (r) => value(base.parse(r)), derived: { from: [base], value: ([b]) => value(b as B) } };
}

/** A fact whose value is known without asking the host (a list of no names): no read at all. */
export function knownFact<T>(key: string, value: T): Fact<T> {
  return { key, argv: ['true'], parse: () => value, derived: { from: [], value: () => value } };
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
