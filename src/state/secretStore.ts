import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Material, MaterialSpec, Vault } from '../core/context.js';
import { byName } from '../core/byName.js';
import { UsageError, kindOf } from '../core/errors.js';
import { Semaphore } from '../core/limiter.js';
import { Secret, generateSecret } from '../core/secret.js';
import type { StateFolder } from './stateFolder.js';

const SECRETS = 'secrets.json';

/**
 * Cluster-wide secrets and material: given in the inventory (plain or env:NAME), or made
 * once on the control machine and kept in the inventory's state folder (0600), so every
 * host of the cluster gets the same value on every run. Only apply keeps what it makes; a
 * dry run makes stand-ins in memory, which every output masks.
 */
export class SecretStore implements Vault {
  private readonly dryRun = new Map<string, Secret>();
  private stored: Record<string, string> | undefined;

  constructor(
    private readonly folder: StateFolder,
    /** a secret the inventory gives, by variable name */
    private readonly given: (name: string) => Secret | undefined,
  ) {}

  secret(name: string, generate: () => string = generateSecret): Secret {
    const known = this.peek(name);
    if (known) return known;
    if (!this.folder.writable) {
      let standIn = this.dryRun.get(name);
      if (!standIn) this.dryRun.set(name, (standIn = new Secret(generate())));
      return standIn;
    }
    const secret = new Secret(generate());
    this.save({ [name]: secret.reveal() });
    return secret;
  }

  /** Reads what the state folder keeps now, so a folder st2prov cannot trust or a corrupt file stops a run before it starts. */
  verify(): void {
    this.load();
  }

  /** A secret if it is known (given or kept), without making one: for read-only commands. */
  peek(name: string): Secret | undefined {
    const given = this.given(name);
    if (given) return given;
    const stored = this.load();
    return Object.hasOwn(stored, name) ? new Secret(stored[name]!) : undefined;
  }

  /** Which of these secrets are neither given nor kept yet. */
  missing(names: readonly string[]): string[] {
    return names.filter((n) => !this.peek(n));
  }

  /** Makes and keeps every missing secret (apply only). */
  generate(makers: Readonly<Record<string, () => string>>): void {
    const made = Object.fromEntries(this.missing(Object.keys(makers)).map((n) => [n, makers[n]!()]));
    if (Object.keys(made).length) this.save(made);
  }

  hasMaterial(spec: MaterialSpec): boolean {
    return spec.files.every((f) => this.folder.has(join(spec.name, f)));
  }

  /**
   * Makes the material not made yet, several pieces at once (key pairs and certificates are
   * made by ssh-keygen and openssl, which take a CPU each, so no more than the CPUs at once):
   * the run's connections go on meanwhile. Each piece is whole or absent (see writeFolder);
   * when one fails, the others finish before the error is thrown.
   */
  async makeMaterial(specs: readonly MaterialSpec[]): Promise<void> {
    const making = new Map<string, Promise<void>>();
    const slots = new Semaphore(Math.max(2, availableParallelism()));
    const make = (spec: MaterialSpec): Promise<void> => {
      if (this.hasMaterial(spec)) return Promise.resolve();
      let done = making.get(spec.name);
      if (!done) {
        // what it is made from is made first, outside its slot (a slot waiting for another could starve)
        const made = async (other: MaterialSpec) => (await make(other), this.material(other));
        done = this.folder.writeFolder(spec.name, (dir) => spec.make(dir, made));
        making.set(spec.name, done);
      }
      return done;
    };
    const results = await Promise.allSettled(specs.map((s) => slots.use(() => make(s))));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Cluster material read from the state folder (made by makeMaterial); a dry run before apply sees only Secrets. */
  material(spec: MaterialSpec): Material {
    if (!this.hasMaterial(spec)) {
      if (!this.folder.writable) return Object.fromEntries(spec.files.map((f) => [f, new Secret(`(${spec.name}/${f}: made by apply)`)]));
      throw new Error(`bug: ${spec.name} is read before the step that makes the cluster's material made it`);
    }
    const publicFiles = spec.publicFiles ?? [];
    return Object.fromEntries(spec.files.map((f) => {
      const content = this.folder.read(join(spec.name, f)) ?? '';
      return [f, publicFiles.includes(f) ? content : new Secret(content)];
    }));
  }

  /**
   * secrets.json as st2prov writes it: a map of names to non-empty text. Anything else (a
   * file edited by hand, restored from elsewhere, cut short) is refused before any host is
   * contacted, naming the file and the first thing wrong, never a value.
   */
  private load(): Record<string, string> {
    if (this.stored) return this.stored;
    const text = this.folder.read(SECRETS);
    if (text === undefined) return (this.stored = byName());
    const refused = (problem: string) => new UsageError(`cannot read ${join(this.folder.dir, SECRETS)}: ${problem}`, 'put back the copy st2prov wrote (from a backup: st2prov restore, or your own); deleting it, or a value in it, would change every generated password of the cluster');
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw refused((err as Error).message);
    }
    const problem = secretsProblem(parsed);
    if (problem) throw refused(problem);
    this.stored = byName(Object.entries(parsed as Record<string, string>));
    // values kept here may still stand in files on hosts: mask them even when unused now
    Object.values(this.stored).forEach((v) => new Secret(v));
    return this.stored;
  }

  private save(values: Record<string, string>): void {
    const data = byName([...Object.entries(this.load()), ...Object.entries(values)]);
    this.folder.write(SECRETS, `${JSON.stringify(data, null, 2)}\n`);
    this.stored = data;
  }
}

/** A secret's name as st2prov keeps it: a variable's name, or st2_auth_users.USER. */
const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}(?:\.[A-Za-z0-9_.@+-]{1,128})?$/;

/**
 * What is wrong with the kept secrets (secrets.json parsed), or undefined: they are an object
 * of strings by name. Names and values are never part of the answer (a name may say whose).
 */
export function secretsProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `it holds ${kindOf(value)}, not a map of secret names to their values`;
  const entries = Object.entries(value);
  const badName = entries.filter(([name]) => !SECRET_NAME.test(name)).length;
  if (badName) return `${badName} of its names ${badName === 1 ? 'is' : 'are'} not a secret's name`;
  // names are checked first: only a plain name is ever shown
  const bad = entries.find(([, v]) => typeof v !== 'string' || v === '');
  if (bad) return `the value of "${bad[0]}" is ${kindOf(bad[1])}, not the text of a secret`;
  return undefined;
}
