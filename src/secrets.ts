import { randomBytes } from 'node:crypto';

export const MASK = '********';

/** Every secret value seen in this process, so any text can be masked before it is shown. */
const known = new Set<string>();

/**
 * A secret value. It never turns into its text by accident: string conversion, JSON
 * and util.inspect all give the mask. Only `reveal()` gives the value, for stdin or a file.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    remember(value);
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${MASK})`;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/** Registers a value (and the forms it takes in URLs and shell) to be masked everywhere. */
export function remember(value: string): void {
  if (value.length < 4) return; // masking two letters would garble all output
  known.add(value);
  const encoded = encodeURIComponent(value);
  if (encoded !== value) known.add(encoded);
}

export function mask(text: string): string {
  if (known.size === 0 || text.length === 0) return text;
  let out = text;
  // longest first, so a secret that contains another is masked whole
  for (const value of [...known].sort((a, b) => b.length - a.length)) {
    if (out.includes(value)) out = out.split(value).join(MASK);
  }
  return out;
}

/** Deep copy of a value fit for output: secrets masked, strings scrubbed. */
export function masked<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'string' ? mask(v) : v))) as T;
}

export function generateSecret(bytes = 24): string {
  // URL- and shell-safe alphabet: these values end up in URLs and config files
  return randomBytes(bytes).toString('base64url');
}
