import type { Fact } from '../core/fact.js';

/** One command to run: a fact, or the whole of a family read for several of its facts. */
export interface FactRead {
  fact: Fact<unknown>;
  /** the facts this read answers (the fact itself when it stands alone) */
  members: readonly Fact<unknown>[];
  /** the names a family's whole was read for */
  names?: readonly string[];
}

/**
 * Facts of one family (see Family) become one read over all their names, in the order they
 * were first asked; other facts are read as they are.
 */
export function factReads(facts: readonly Fact<unknown>[]): FactRead[] {
  const reads: FactRead[] = [];
  const families = new Map<string, Fact<unknown>[]>();
  for (const f of facts) {
    if (!f.family) reads.push({ fact: f, members: [f] });
    else if (families.has(f.family.id)) families.get(f.family.id)!.push(f);
    else families.set(f.family.id, [f]);
  }
  for (const members of families.values()) {
    if (members.length === 1) {
      reads.push({ fact: members[0]!, members });
      continue;
    }
    const names = [...new Set(members.flatMap((m) => m.family!.names))];
    reads.push({ fact: members[0]!.family!.whole(names), members, names });
  }
  return reads;
}

/** Each member's value (or the error reading it) out of what its read returned. */
export function memberValues(read: FactRead, value: unknown): Map<string, unknown> {
  const values = new Map<string, unknown>();
  for (const m of read.members) {
    if (!read.names || value instanceof Error) values.set(m.key, value);
    else {
      try {
        values.set(m.key, m.family!.part(value, m.family!.names, read.names));
      } catch (err) {
        values.set(m.key, err);
      }
    }
  }
  return values;
}
