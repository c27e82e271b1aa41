import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Handlers owed by a run that failed before running them, kept on the control machine
 * (host → play → handler names) so the next apply runs them even though nothing changes then.
 */
export class HandlerLedger {
  private readonly file: string;
  private data: Record<string, Record<string, string[]>>;

  constructor(private readonly stateDir: string) {
    this.file = join(stateDir, 'owed-handlers.json');
    this.data = existsSync(this.file) ? (JSON.parse(readFileSync(this.file, 'utf8')) as typeof this.data) : {};
  }

  owed(host: string, play: string): string[] {
    return this.data[host]?.[play] ?? [];
  }

  set(host: string, play: string, handlers: readonly string[]): void {
    const forHost = { ...(this.data[host] ?? {}) };
    if (handlers.length) forHost[play] = [...handlers];
    else delete forHost[play];
    if (Object.keys(forHost).length) this.data[host] = forHost;
    else delete this.data[host];
    this.save();
  }

  private save(): void {
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(this.data, null, 2)}\n`, { mode: 0o600 });
    renameSync(temp, this.file);
  }
}
