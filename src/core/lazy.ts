import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/**
 * A dependency loaded on its first use (its CommonJS build): a command that never needs it
 * (`--help`, `hosts`) never pays for loading it. Start-up time is most of a no-op run.
 */
export function lazy<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= require(id) as T);
}

/**
 * `make`, worked out once a run for each different argument list (told apart by `key`, the
 * arguments' JSON by default): what every host asks for the same is computed once. A `make`
 * that throws is not remembered.
 */
export function onceEach<A extends unknown[], V>(make: (...args: A) => V, key: (...args: A) => string = (...args) => JSON.stringify(args)): (...args: A) => V {
  const made = new Map<string, V>();
  return (...args) => {
    const k = key(...args);
    if (made.has(k)) return made.get(k)!;
    const value = make(...args);
    made.set(k, value);
    return value;
  };
}
