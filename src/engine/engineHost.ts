import type { Duplex } from 'node:stream';
import type { ExecRequest, ExecResult, Executor } from '../core/command.js';
import type { ClusterHost, ClusterView, HostContext, Material, MaterialSpec, Vault } from '../core/context.js';
import { RemoteCommandError } from '../core/errors.js';
import { OutputLimitError } from '../core/output.js';
import type { Fact } from '../core/fact.js';
import type { Secret } from '../core/secret.js';
import { timed } from '../core/timings.js';
import type { Settings } from '../inventory/variables.js';
import { batchScript } from './factBatch.js';
import { factReads, memberValues, type FactRead } from './factFamilies.js';

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
  /** how many times a change made this host forget what was read */
  private generation = 0;

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
    const result = await this.executor.exec(request).catch((err: unknown) => {
      // said of what the command was for, not of its script
      throw err instanceof OutputLimitError ? new RemoteCommandError(purpose, null, err.stderr) : err;
    });
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
    // what this read returned, not the map after it: another step's change may have emptied it meanwhile
    const value = this.facts.has(f.key) ? this.facts.get(f.key) : (await this.read([f])).get(f.key);
    if (value instanceof Error) throw value;
    return value as T;
  }

  async prefetch(list: readonly Fact<unknown>[]): Promise<void> {
    await this.read(list);
  }

  /**
   * Reads the facts not known yet in one round trip and returns each one's value (or the error
   * reading it). They are kept until a change is applied here, but not when one was applied while
   * they were being read (by another host's step on this one): they may be older than it.
   */
  private async read(list: readonly Fact<unknown>[]): Promise<Map<string, unknown>> {
    const missing = [...new Map(list.flatMap(readsOf).filter((f) => !this.facts.has(f.key)).map((f) => [f.key, f])).values()];
    const values = new Map<string, unknown>();
    if (missing.length === 0) return values;
    const generation = this.generation;
    const reads = factReads(missing);
    let results: ExecResult[];
    if (reads.length === 1) {
      results = [await timed(this.name, 'probe', () => this.executor.exec({ argv: reads[0]!.fact.argv }))];
    } else {
      const batch = batchScript(reads.map((r) => r.fact));
      const result = await timed(this.name, 'probe', () => this.executor.exec({ argv: batch.argv }));
      if (result.code !== 0) throw new RemoteCommandError('reading facts', result.code, result.stderr);
      results = batch.split(result.stdout);
    }
    reads.forEach((read, i) => {
      const value = results[i] ? parsed(read, results[i]) : new RemoteCommandError('reading facts', null, 'probe output was cut short');
      for (const [key, v] of memberValues(read, value)) values.set(key, v);
    });
    if (generation === this.generation) for (const [key, v] of values) this.facts.set(key, v);
    return values;
  }

  /** After a change is applied, what was read before may be stale. */
  forget(): void {
    this.facts.clear();
    this.generation++;
  }
}

/** A read's value: what its fact's parser made of the result, or the error it threw. */
function parsed(read: FactRead, result: ExecResult): unknown {
  try {
    return read.fact.parse(result);
  } catch (err) {
    return err;
  }
}
