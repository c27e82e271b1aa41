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
  return new Map(read.members.map((m) => [m.key, partOf(read, m, value)]));
}

/** A member's part of a family's whole (its error if taking it fails); the value itself for a fact read alone or a failed read. */
function partOf(read: FactRead, member: Fact<unknown>, value: unknown): unknown {
  if (!read.names || value instanceof Error) return value;
  try {
    return member.family!.part(value, member.family!.names, read.names);
  } catch (err) {
    return err;
  }
}
