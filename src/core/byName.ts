/**
 * An object keyed by names st2prov does not choose: inventory variables, hosts, plays, kept
 * secrets. It has no prototype, so a variable called `constructor`, `toString` or `__proto__`
 * is a name like any other: it neither finds Object.prototype's members where it is not set
 * nor, assigned, replaces the object's prototype (and vanishes). Read such objects with
 * Object.hasOwn, never with `in`.
 */
export function byName<T>(entries: Iterable<readonly [string, T]> = []): Record<string, T> {
  const object = Object.create(null) as Record<string, T>;
  for (const [name, value] of entries) object[name] = value;
  return object;
}
