import { byName } from '../core/byName.js';
import { UsageError } from '../core/errors.js';
import type { StateFolder } from './stateFolder.js';

const FILE = 'owed-handlers.json';

/**
 * Handlers owed by a run that failed before running them, kept on the control machine
 * (host → play → handler names) so the next apply runs them even though nothing changes then.
 */
export class OwedHandlers {
  private data: Record<string, Record<string, string[]>> | undefined;

  constructor(private readonly folder: StateFolder) {}

  /** Reads the list now, so a corrupt one stops a run before it starts. */
  verify(): void {
    this.load();
  }

  owed(host: string, play: string): string[] {
    const data = this.load();
    // a host called __proto__ or constructor is a host like any other (see core/byName.ts)
    return Object.hasOwn(data, host) && Object.hasOwn(data[host]!, play) ? data[host]![play]! : [];
  }

  set(host: string, play: string, handlers: readonly string[]): void {
    const data = this.load();
    const before = JSON.stringify(this.owed(host, play));
    if (before === JSON.stringify([...handlers])) return;
    const forHost = byName(Object.hasOwn(data, host) ? Object.entries(data[host]!) : []);
    if (handlers.length) forHost[play] = [...handlers];
    else delete forHost[play];
    if (Object.keys(forHost).length) data[host] = forHost;
    else delete data[host];
    this.folder.write(FILE, `${JSON.stringify(data, null, 2)}\n`);
  }

  private load(): Record<string, Record<string, string[]>> {
    if (this.data) return this.data;
    const text = this.folder.read(FILE);
    if (text === undefined) return (this.data = byName());
    try {
      const parsed = JSON.parse(text) as unknown;
      if (!isLedger(parsed)) throw new Error('not a map of host → play → handler names');
      return (this.data = byName(Object.entries(parsed).map(([host, plays]) => [host, byName(Object.entries(plays))] as const)));
    } catch (err) {
      throw new UsageError(`cannot read ${this.folder.dir}/${FILE}: ${(err as Error).message}`, 'it lists restarts a failed run still owes: fix it, or delete it and restart the services yourself');
    }
  }
}

function isLedger(value: unknown): value is Record<string, Record<string, string[]>> {
  const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  return isMap(value) && Object.values(value).every((plays) => isMap(plays) && Object.values(plays).every((h) => Array.isArray(h) && h.every((n) => typeof n === 'string')));
}
