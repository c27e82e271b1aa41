import type { Duplex } from 'node:stream';
import { RemoteCommandError } from '../errors.js';
import { batchScript, type Fact } from '../facts/fact.js';
import type { Host } from '../inventory/inventory.js';
import type { SecretStore } from '../secretStore.js';
import type { ExecRequest, ExecResult, SshConnection } from '../ssh/connection.js';
import type { Secret } from '../secrets.js';

export type Mode = 'diff' | 'apply';

export interface ClusterView {
  /** every host of the inventory (not only the selected ones), for templates and HA rules */
  hosts: readonly Host[];
  byRole(role: string): readonly Host[];
  /** names of the hosts this run works on (after --limit and --role) */
  selected: readonly string[];
  /** folder of the project: templates/, packs/ */
  projectDir: string;
  /** folder of the control machine's packs to sync */
  packsDir: string;
}

/**
 * Everything an operation may use on one host: its variables, remote commands, cached
 * facts, secrets and a view of the whole cluster. Operations get it as an argument.
 */
export class HostContext {
  private readonly facts = new Map<string, unknown>();

  constructor(
    readonly host: Host,
    readonly mode: Mode,
    private readonly connection: SshConnection,
    readonly secrets: SecretStore,
    readonly cluster: ClusterView,
  ) {}

  get name(): string {
    return this.host.name;
  }

  get vars(): Record<string, unknown> {
    return this.host.vars;
  }

  /** The address other hosts use for this one. */
  get address(): string {
    return this.connection.settings.host;
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    return this.connection.exec(request);
  }

  /** Runs a command that must succeed; a failure is an error that says what it was for. */
  async run(purpose: string, request: ExecRequest): Promise<ExecResult> {
    const result = await this.connection.exec(request);
    if (result.code !== 0) throw new RemoteCommandError(purpose, result.code, result.stderr || result.stdout);
    return result;
  }

  /** A TCP connection from the host to host:port; rejects when nothing listens there. */
  withTcp<T>(host: string, port: number, use: (stream: Duplex) => Promise<T>): Promise<T> {
    return this.connection.withTcp(host, port, use);
  }

  secret(name: string): Secret {
    return this.secrets.get(name);
  }

  async fact<T>(f: Fact<T>): Promise<T> {
    if (!this.facts.has(f.key)) await this.prefetch([f]);
    const value = this.facts.get(f.key);
    if (value instanceof Error) throw value;
    return value as T;
  }

  /** Reads every fact not yet known in one round trip. */
  async prefetch(list: readonly Fact<unknown>[]): Promise<void> {
    const missing = [...new Map(list.filter((f) => !this.facts.has(f.key)).map((f) => [f.key, f])).values()];
    if (missing.length === 0) return;
    if (missing.length === 1) {
      const f = missing[0]!;
      this.store(f, await this.connection.exec({ argv: f.argv }));
      return;
    }
    const batch = batchScript(missing);
    const result = await this.connection.exec({ argv: batch.argv });
    if (result.code !== 0) throw new RemoteCommandError('reading facts', result.code, result.stderr);
    batch.split(result.stdout).forEach((r, i) => this.store(missing[i]!, r));
  }

  private store(f: Fact<unknown>, result: ExecResult): void {
    try {
      this.facts.set(f.key, f.parse(result));
    } catch (err) {
      this.facts.set(f.key, err);
    }
  }

  /** After a change is applied, what was read before may be stale. */
  forget(): void {
    this.facts.clear();
  }
}
