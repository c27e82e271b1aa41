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

/**
 * The lines a file used to have in place of lines that now carry a secret usually carried
 * the old secret, which st2prov may never have seen (changed by hand, or by -e). For each
 * removed line of a diff that stands where a secret-bearing line stands now, the part
 * after the text the two share is masked: `password = OLD` against `password = NEW`.
 */
export function redactReplacedSecrets(diff: string, after: string): string {
  const prefixes: string[] = [];
  for (const line of after.split('\n')) {
    let first = -1;
    for (const value of known) {
      const at = line.indexOf(value);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) prefixes.push(line.slice(0, first));
  }
  if (prefixes.length === 0) return diff;
  return diff
    .split('\n')
    .map((line) => {
      if (!line.startsWith('-') || line.startsWith('---')) return line;
      const body = line.slice(1);
      const prefix = prefixes.filter((p) => body.startsWith(p)).sort((a, b) => b.length - a.length)[0];
      return prefix === undefined ? line : `-${prefix}${MASK}`;
    })
    .join('\n');
}
