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
