/**
 * Errors are values that say where (file and line, or host and step) and what to do.
 * The CLI maps each kind to an exit code: usage and inventory errors touch no host.
 */
export class UsageError extends Error {
  readonly exitCode = 1;
  constructor(message: string, readonly remedy?: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export class InventoryError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly file: string,
    readonly line: number,
    readonly problem: string,
    readonly remedy?: string,
  ) {
    super(`${file}:${line}: ${problem}${remedy ? ` (${remedy})` : ''}`);
    this.name = 'InventoryError';
  }
}

/** A playbook or template mistake found before any host is changed. */
export class PlaybookError extends Error {
  readonly exitCode = 1;
  constructor(message: string, readonly remedy?: string) {
    super(remedy ? `${message} (${remedy})` : message);
    this.name = 'PlaybookError';
  }
}

/** The host could not be reached or authenticated; nothing ran there. */
export class UnreachableError extends Error {
  /** worth another attempt (a refused or timed-out connection), unlike host key or auth failures */
  transient = false;
  constructor(readonly host: string, problem: string, readonly remedy?: string) {
    super(remedy ? `${problem}; ${remedy}` : problem);
    this.name = 'UnreachableError';
  }
}

/** A remote command failed; carries what it was for, its exit code and its stderr. */
export class RemoteCommandError extends Error {
  constructor(
    readonly purpose: string,
    readonly code: number | null,
    readonly stderr: string,
  ) {
    const tail = stderr.trim().split('\n').slice(-6).join('\n');
    super(`${purpose} failed (exit ${code ?? 'signal'})${tail ? `: ${tail}` : ''}`);
    this.name = 'RemoteCommandError';
  }
}

/** An operation's input does not exist yet (a config of a package not yet installed). */
export class MissingInput extends Error {
  constructor(readonly what: string) {
    super(`${what} does not exist`);
    this.name = 'MissingInput';
  }
}

/** What a value read from a file is (a number, a mapping, empty), never what it says: it may be a secret. */
export function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'missing';
  if (Array.isArray(value)) return 'a list';
  if (value === '') return 'empty';
  const kinds: Record<string, string> = { string: 'text', number: 'a number', boolean: 'a boolean', object: 'a mapping' };
  return kinds[typeof value] ?? typeof value;
}
