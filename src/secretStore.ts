import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { Secret, generateSecret, isSecret, remember } from './secrets.js';

/**
 * Cluster-wide secrets: given in the inventory (plain or env:NAME), or generated once on the
 * control machine and kept in the inventory's state folder (mode 0600), so every host of
 * the cluster gets the same value on every run. A dry run generates but does not keep.
 */
export class SecretStore {
  private readonly file: string;
  private readonly generated = new Map<string, Secret>();
  private stored: Record<string, string> | undefined;

  constructor(
    readonly stateDir: string,
    private readonly inventoryVars: Record<string, unknown>,
  ) {
    this.file = join(stateDir, 'secrets.json');
    this.load();
  }

  /** The store of an inventory: its state folder, and every host's variables (first host wins). */
  static forInventory(inventory: { stateDir: string; hosts: readonly { vars: Record<string, unknown> }[] }): SecretStore {
    return new SecretStore(inventory.stateDir, Object.assign({}, ...[...inventory.hosts].reverse().map((h) => h.vars)) as Record<string, unknown>);
  }

  get(name: string, generate: () => string = generateSecret): Secret {
    const given = this.inventoryVars[name];
    if (given !== undefined && given !== null && given !== '') return isSecret(given) ? given : new Secret(String(given));
    const known = this.generated.get(name);
    if (known) return known;
    const stored = this.load()[name];
    const secret = new Secret(stored ?? generate());
    this.generated.set(name, secret);
    if (stored === undefined) this.save(name, secret);
    return secret;
  }

  /** A secret if it is known (given or kept), without generating one: for read-only commands. */
  peek(name: string): Secret | undefined {
    const given = this.inventoryVars[name];
    if (given !== undefined && given !== null && given !== '') return isSecret(given) ? given : new Secret(String(given));
    const stored = this.load()[name];
    return stored === undefined ? undefined : new Secret(stored);
  }

  private load(): Record<string, string> {
    if (this.stored) return this.stored;
    if (!existsSync(this.file)) return (this.stored = {});
    try {
      this.stored = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, string>;
      // values kept here may still stand in files on hosts: mask them even when unused now
      Object.values(this.stored).forEach(remember);
    } catch (err) {
      throw new UsageError(`cannot read ${this.file}: ${(err as Error).message}`, 'restore it from backup; deleting it would change every generated password');
    }
    return this.stored;
  }

  private save(name: string, secret: Secret): void {
    const data = { ...this.load(), [name]: secret.reveal() };
    mkdirSync(this.stateDir, { recursive: true, mode: 0o700 });
    const temp = `${this.file}.tmp`;
    writeFileSync(temp, `${JSON.stringify(data, null, 2)}\n`, { mode: 0o600 });
    chmodSync(temp, 0o600);
    renameSync(temp, this.file);
    this.stored = data;
  }

  /**
   * Cluster-wide files (TLS certificate and key, SSH key pairs) made once on the control
   * machine and kept in the state folder, mode 0600: every host gets the same bytes.
   */
  material(name: string, generate: (dir: string) => void, files: readonly string[]): Record<string, string> {
    const dir = join(this.stateDir, name);
    if (!files.every((f) => existsSync(join(dir, f)))) {
      const temp = `${dir}.tmp`;
      rmSync(temp, { recursive: true, force: true });
      mkdirSync(temp, { recursive: true, mode: 0o700 });
      generate(temp);
      for (const f of files) chmodSync(join(temp, f), 0o600);
      rmSync(dir, { recursive: true, force: true });
      renameSync(temp, dir);
    }
    const out: Record<string, string> = {};
    for (const f of files) out[f] = readFileSync(join(dir, f), 'utf8');
    return out;
  }
}
