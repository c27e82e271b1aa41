import { randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fsyncSync, lstatSync, mkdirSync, mkdtempSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { NotReadWhole, readAtMost } from '../core/boundedRead.js';
import { UsageError } from '../core/errors.js';

/** Where writeFolder puts a folder's old copy while the new one takes its name. */
const asideOf = (name: string) => `.${name}.old`;
const ASIDE = /^\.(.+)\.old$/;

/**
 * The folder beside an inventory where st2prov keeps what must outlive a run: generated
 * secrets, cluster material, handlers owed by a failed run. It holds secrets, so it is
 * trusted only when it is this user's own and closed to others: created 0700, refused when
 * it is a symlink, belongs to someone else or is writable by group or others. Files are
 * written through temp files created exclusively (never following a planted link) and
 * renamed into place. A dry run reads it and never writes it.
 */
/** More than any file st2prov keeps there (secrets, key pairs, certificates: KBs). */
const STATE_FILE_LIMIT = 16 * 1024 * 1024;

export class StateFolder {
  private verified = false;

  constructor(readonly dir: string, readonly writable: boolean) {}

  /** The content of a file of the folder, or undefined when there is none. */
  read(name: string): string | undefined {
    this.verify();
    const path = this.pathOf(name);
    if (!existsSync(path)) return undefined;
    this.refuseLink(path);
    try {
      return readAtMost(path, STATE_FILE_LIMIT, constants.O_NOFOLLOW).toString('utf8');
    } catch (err) {
      if (err instanceof NotReadWhole) throw new UsageError(`state folder: ${err.message}`, `st2prov keeps small files of its own in ${this.dir}: put back the one it wrote (from a backup: st2prov restore)`);
      throw err;
    }
  }

  has(name: string): boolean {
    this.verify();
    return existsSync(this.pathOf(name));
  }

  /**
   * Where a file of the folder is: in a folder of files made together, the folder's copy set
   * aside by a writeFolder that was killed before the new copy took its name, if that is all
   * there is (a dry run reads it there; a run that may write puts it back first: recover()).
   */
  private pathOf(name: string): string {
    const path = join(this.dir, name);
    const [top, ...rest] = name.split('/');
    if (rest.length === 0 || existsSync(join(this.dir, top!))) return path;
    const aside = join(this.dir, asideOf(top!));
    return existsSync(aside) ? join(aside, ...rest) : path;
  }

  /**
   * Every file of the folder, by its path inside it (`secrets.json`, `datastore/datastore_key.json`),
   * but what a killed run left half made (names starting with a dot); a link is refused.
   */
  files(): string[] {
    this.verify();
    if (!existsSync(this.dir)) return [];
    // rel: the path inside as st2prov names it; real: where it is (a folder set aside stands for its own name)
    const walk = (rel: string, real: string): string[] => readdirSync(join(this.dir, real), { withFileTypes: true })
      .map((e) => {
        const aside = rel === '' && e.isDirectory() ? ASIDE.exec(e.name)?.[1] : undefined;
        return { e, name: aside !== undefined && !existsSync(join(this.dir, aside)) ? aside : e.name };
      })
      .filter(({ name }) => !name.startsWith('.'))
      .sort((a, b) => a.name.localeCompare(b.name))
      .flatMap(({ e, name }) => {
        const path = rel ? `${rel}/${name}` : name;
        const at = real ? `${real}/${e.name}` : e.name;
        if (e.isSymbolicLink()) this.refuseLink(join(this.dir, at));
        return e.isDirectory() ? walk(path, at) : e.isFile() ? [path] : [];
      });
    return walk('', '');
  }

  /** Replaces a file atomically, mode 0600. */
  write(name: string, content: string): void {
    this.ensure();
    const path = join(this.dir, name);
    const prefix = `.${name.replace(/\//g, '_')}.`;
    this.sweep((entry) => entry.startsWith(prefix) && entry.endsWith('.tmp'));
    const temp = join(this.dir, `${prefix}${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, content);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, path);
  }

  /**
   * A folder of files made together (a key pair), made once: `make` fills a fresh private
   * temp folder which then takes the name, so a crash never leaves half a key pair. A folder
   * it replaces is renamed aside first and removed only once the new one has its name: at
   * every instant the name holds the old or the new folder whole, or, between the two renames,
   * the old one is aside, where reads find it and the next run that may write puts it back.
   */
  async writeFolder(name: string, make: (dir: string) => void | Promise<void>): Promise<void> {
    this.ensure();
    this.sweep((entry) => entry.startsWith(`.${name}.`));
    const temp = mkdtempSync(join(this.dir, `.${name}.new-`));
    try {
      await make(temp);
    } catch (err) {
      rmSync(temp, { recursive: true, force: true });
      throw err;
    }
    // no await from here on: a writeFolder of another name never sees this one half done
    const path = join(this.dir, name);
    const aside = join(this.dir, asideOf(name));
    if (existsSync(path)) renameSync(path, aside);
    renameSync(temp, path);
    rmSync(aside, { recursive: true, force: true });
  }

  /**
   * What a writeFolder killed between its renames left: a folder set aside with nothing under
   * its name is put back (the new copy never took it); beside a folder under its name, it is
   * an old copy the new one replaced, and goes.
   */
  private recover(): void {
    for (const entry of readdirSync(this.dir).filter((e) => ASIDE.test(e))) {
      const aside = join(this.dir, entry);
      if (!lstatSync(aside).isDirectory()) continue;
      const path = join(this.dir, ASIDE.exec(entry)![1]!);
      if (existsSync(path)) rmSync(aside, { recursive: true, force: true });
      else renameSync(aside, path);
    }
  }

  /** What a killed run left half made (temp files and folders), removed before making it again. */
  private sweep(stale: (entry: string) => boolean): void {
    for (const entry of readdirSync(this.dir).filter(stale)) rmSync(join(this.dir, entry), { recursive: true, force: true });
  }

  private ensure(): void {
    if (!this.writable) throw new Error(`bug: a dry run tried to write ${this.dir}`);
    if (!existsSync(this.dir)) mkdirSync(this.dir, { mode: 0o700 });
    this.verified = false;
    this.verify();
  }

  private verify(): void {
    if (this.verified || !existsSync(this.dir)) return;
    const st = lstatSync(this.dir);
    const remedy = `it holds the cluster's secrets: make it yours and private (chown ${process.getuid?.() ?? ''} and chmod 700 ${this.dir}), or remove it if you did not make it`;
    if (st.isSymbolicLink()) throw new UsageError(`state folder ${this.dir} is a symbolic link`, remedy);
    if (!st.isDirectory()) throw new UsageError(`state folder ${this.dir} is not a folder`, remedy);
    if (process.getuid && st.uid !== process.getuid()) throw new UsageError(`state folder ${this.dir} belongs to uid ${st.uid}, not to you (uid ${process.getuid()})`, remedy);
    if (st.mode & 0o022) throw new UsageError(`state folder ${this.dir} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode 0${(st.mode & 0o777).toString(8)})`, remedy);
    if (this.writable) this.recover();
    this.verified = true;
  }

  private refuseLink(path: string): void {
    if (lstatSync(path).isSymbolicLink()) throw new UsageError(`${path} is a symbolic link`, `st2prov keeps real files in ${this.dir}: remove the link`);
  }
}
