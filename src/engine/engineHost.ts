import type { Duplex } from 'node:stream';
import type { ExecRequest, ExecResult, TcpOpener } from '../core/command.js';
import type { ClusterHost, ClusterView, HostContext, Material, MaterialSpec, Vault } from '../core/context.js';
import { RemoteCommandError } from '../core/errors.js';
import type { Fact } from '../core/fact.js';
import type { Secret } from '../core/secret.js';
import { timed } from '../core/timings.js';
import type { Settings } from '../inventory/variables.js';
import { batchScript } from './factBatch.js';
import { factReads, memberValues, type FactRead } from './factFamilies.js';

/** Runs commands somewhere: a host over SSH, or the control machine itself. */
export interface Executor extends TcpOpener {
  exec(request: ExecRequest): Promise<ExecResult>;
}

/** A host's connection as the engine uses it (ssh/connection.ts is the real one). */
export interface Transport extends Executor {
  readonly name: string;
  connect(): Promise<void>;
  close(): void;
  /**
   * Starts a command and keeps it running with stdin open until `release` is called or the
   * connection drops; resolves once `ready` accepts one of its output lines, or when it ends.
   */
  hold(request: ExecRequest, ready: (line: string) => boolean): Promise<{ acquired: boolean; release: () => void; done: Promise<ExecResult> }>;
}

/** The facts a host is asked to read for this one: itself, or those a derived fact is worked out from. */
function readsOf(f: Fact<unknown>): Fact<unknown>[] {
  return f.derived ? f.derived.from.flatMap(readsOf) : [f];
}

/**
 * The engine's HostContext: a host's settings, secrets and commands, and its facts, read in
 * one batch and kept until a change is applied there.
 */
export class EngineHost implements HostContext {
  private readonly facts = new Map<string, unknown>();

  constructor(
    readonly host: ClusterHost,
    private readonly executor: Executor,
    readonly vault: Vault,
    readonly cluster: ClusterView,
    private readonly others: (host: ClusterHost) => Promise<HostContext> = () => Promise.reject(new Error('bug: no other hosts here')),
  ) {}

  on(host: ClusterHost): Promise<HostContext> {
    return this.others(host);
  }

  get name(): string {
    return this.host.name;
  }

  get settings(): Settings {
    return this.host.settings;
  }

  exec(request: ExecRequest): Promise<ExecResult> {
    return this.executor.exec(request);
  }

  async run(purpose: string, request: ExecRequest): Promise<ExecResult> {
    const result = await this.executor.exec(request);
    if (result.code !== 0) throw new RemoteCommandError(purpose, result.code, result.stderr || result.stdout);
    return result;
  }

  withTcp<T>(host: string, port: number, use: (stream: Duplex) => Promise<T>): Promise<T> {
    return this.executor.withTcp(host, port, use);
  }

  secret(name: string): Secret {
    return this.vault.secret(name);
  }

  material(spec: MaterialSpec): Material {
    return this.vault.material(spec);
  }

  async fact<T>(f: Fact<T>): Promise<T> {
    if (f.derived) return f.derived.value(await Promise.all(f.derived.from.map((b) => this.fact(b))));
    if (!this.facts.has(f.key)) await this.prefetch([f]);
    const value = this.facts.get(f.key);
    if (value instanceof Error) throw value;
    return value as T;
  }

  async prefetch(list: readonly Fact<unknown>[]): Promise<void> {
    const missing = [...new Map(list.flatMap(readsOf).filter((f) => !this.facts.has(f.key)).map((f) => [f.key, f])).values()];
    if (missing.length === 0) return;
    const reads = factReads(missing);
    if (reads.length === 1) {
      this.store(reads[0]!, await timed(this.name, 'probe', () => this.executor.exec({ argv: reads[0]!.fact.argv })));
      return;
    }
    const batch = batchScript(reads.map((r) => r.fact));
    const result = await timed(this.name, 'probe', () => this.executor.exec({ argv: batch.argv }));
    if (result.code !== 0) throw new RemoteCommandError('reading facts', result.code, result.stderr);
    batch.split(result.stdout).forEach((r, i) => this.store(reads[i]!, r));
  }

  private store(read: FactRead, result: ExecResult): void {
    let value: unknown;
    try {
      value = read.fact.parse(result);
    } catch (err) {
      value = err;
    }
    for (const [key, v] of memberValues(read, value)) this.facts.set(key, v);
  }

  /** After a change is applied, what was read before may be stale. */
  forget(): void {
    this.facts.clear();
  }
}
