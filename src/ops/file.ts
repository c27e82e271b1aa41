import { createHash } from 'node:crypto';
import { lazy } from '../core/lazy.js';
import { MissingInput } from '../core/errors.js';
import { change, type Change } from '../core/change.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { sizeText, limitText } from '../core/sizes.js';
import { FILE_CONTENT_LIMIT, fileState, fileText, type FileState, type PresentFile } from '../facts/files.js';
import type { LocalFile } from '../facts/localFiles.js';
import { isSecret, mask, redactReplacedSecrets, type Secret } from '../core/secret.js';
import { setAttributes, writeFileAtomically, writeLocalFileAtomically, type WriteOptions } from './fileWrite.js';

const jsdiff = lazy<typeof import('diff')>('diff');

export interface FileSpec extends WriteOptions {
  path: string;
  /**
   * What the file holds: text, a Secret (a key, htpasswd: written as it is, but its diff says
   * only that it changed), or a file of the control machine as a plan hashed it (ops.copy:
   * streamed, any size).
   */
  content: string | Secret | LocalFile;
  notify?: string[];
  /**
   * Hides what a line of the diff may hold that st2prov never knew as a secret: an old
   * password on a line that now holds none (st2auth's LDAP kwargs when the backend goes back
   * to the htpasswd), or one written by hand in another order.
   */
  redact?: (line: string) => string;
}

/** A file with exactly this content, mode and owner. */
export function file(spec: FileSpec): Operation {
  return {
    title: `file ${spec.path}`,
    facts: () => [fileState(spec.path)],
    async plan(host) {
      const state = await host.fact(fileState(spec.path));
      if (!state.exists && !state.parentExists) throw new MissingInput(`folder of ${spec.path}`);
      return fileChanges(host, spec, state, 'file');
    },
  };
}

/**
 * An edit of an existing file: `transform` gets the current content and returns the wanted
 * content. A missing file is a missing input (its package may not be installed yet); one too
 * large to edit (more than FILE_CONTENT_LIMIT) fails its host, naming it.
 */
export function editFile(kind: string, path: string, title: string, transform: (text: string) => string, options: { notify?: string[]; validate?: readonly string[]; redact?: (line: string) => string } = {}): Operation {
  return {
    title,
    facts: () => [fileState(path)],
    async plan(host) {
      const state = await host.fact(fileState(path));
      if (!state.exists) throw new MissingInput(path);
      const current = await fileText(host, path, state, `editing ${title}`);
      return fileChanges(host, { path, content: transform(current.content), ...options }, current, kind, title);
    },
  };
}

/** What a file should hold, whatever gave it: compared by digest, shown as text only when small. */
interface Wanted {
  size: number;
  sha256: string;
  /** its text, when there is one to show (and to check for secrets) */
  text: string | undefined;
  /** a Secret: never shown, not even by its digest */
  secret: boolean;
  write(host: HostContext, path: string, options: WriteOptions): Promise<void>;
}

function wanted(content: string | Secret | LocalFile): Wanted {
  if (typeof content === 'string' || isSecret(content)) {
    const text = isSecret(content) ? content.reveal() : content;
    const bytes = Buffer.from(text);
    return {
      size: bytes.length,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      text,
      secret: isSecret(content),
      write: (host, path, options) => writeFileAtomically(host, path, text, options),
    };
  }
  return {
    size: content.size,
    sha256: content.sha256,
    text: content.bytes?.toString(),
    secret: false,
    write: (host, path, options) => writeLocalFileAtomically(host, path, content, options),
  };
}

export function fileChanges(host: HostContext, spec: FileSpec, state: FileState, kind: string, title?: string): Change[] {
  const notify = spec.notify ?? [];
  const want = wanted(spec.content);
  const write = { ...(spec.mode !== undefined ? { mode: spec.mode } : {}), ...(spec.owner !== undefined ? { owner: spec.owner } : {}), ...(spec.validate ? { validate: spec.validate } : {}) };
  const wantMode = spec.mode === undefined ? undefined : parseInt(spec.mode, 8);
  const [wantUser, wantGroup] = (spec.owner ?? '').split(':');
  if (!state.exists) {
    return [
      change({
        kind,
        summary: `create ${spec.path}${spec.mode ? ` (mode ${spec.mode})` : ''}`,
        diff: contentDiff(spec.path, undefined, want, spec.redact),
        notify,
        apply: () => want.write(host, spec.path, write),
      }),
    ];
  }
  const attrs: string[] = [];
  if (wantMode !== undefined && state.mode !== wantMode) attrs.push(`mode ${octal(state.mode)} → ${octal(wantMode)}`);
  if (wantUser && state.owner !== wantUser) attrs.push(`owner ${state.owner} → ${wantUser}`);
  if (wantGroup && state.group !== wantGroup) attrs.push(`group ${state.group} → ${wantGroup}`);
  if (state.sha256 !== want.sha256) {
    return [
      change({
        kind,
        summary: `${title ?? 'update'} ${title ? '' : spec.path}`.trim() + (attrs.length ? `; ${attrs.join(', ')}` : ''),
        diff: contentDiff(spec.path, state, want, spec.redact),
        notify,
        apply: () => want.write(host, spec.path, write),
      }),
    ];
  }
  if (attrs.length) {
    return [change({ kind, summary: `${spec.path}: ${attrs.join(', ')}`, notify, apply: () => setAttributes(host, spec.path, spec) })];
  }
  return [];
}

/**
 * The diff of a file's content: a unified diff of text, or a note where text cannot be shown.
 * A secret says only that it changed. Binary content, or more than FILE_CONTENT_LIMIT, is
 * told by size and SHA-256, but never the digest of text that holds a secret (a digest of a
 * known text around a password is a way to guess the password).
 */
function contentDiff(path: string, before: PresentFile | undefined, want: Wanted, redact?: (line: string) => string): string {
  if (want.secret) return hidden(path);
  const old = before ? before.content : '';
  const small = want.size <= FILE_CONTENT_LIMIT && (!before || before.size <= FILE_CONTENT_LIMIT);
  if (small && old !== undefined && want.text !== undefined && !isBinary(old) && !isBinary(want.text)) {
    return unifiedDiff(path, old, want.text, !before, redact);
  }
  // small but not read whole: the read of many files it was in had spent its budget
  const why = !small ? `more than ${limitText(FILE_CONTENT_LIMIT)}` : old === undefined ? 'read by digest with many other files' : 'binary content';
  const holdsSecret = want.text !== undefined && mask(want.text) !== want.text;
  // the old bytes were never seen here: a small file of the host may hold a password st2prov
  // never knew (a hand-set requirepass), and its digest would let a dictionary find it
  const unseenSmall = before !== undefined && old === undefined && before.size <= FILE_CONTENT_LIMIT;
  return contentNote(path, before, want, why, { before: holdsSecret || unseenSmall || redact !== undefined, after: holdsSecret });
}

/** The note in place of a diff: sizes and digests, before and after (a created file: after only); `noDigest` leaves a side's digest out. */
export function contentNote(path: string, before: { size: number; sha256: string } | undefined, after: { size: number; sha256: string }, why: string, noDigest: { before: boolean; after: boolean } = { before: false, after: false }): string {
  const told = (f: { size: number; sha256: string }, hide: boolean) => `${sizeText(f.size)}${f.size >= 1000 ? ` (${f.size} bytes)` : ''}${hide ? '' : `, sha256 ${f.sha256}`}`;
  const body = before ? `${told(before, noDigest.before)} → ${told(after, noDigest.after)}` : `new file, ${told(after, noDigest.after)}`;
  return `--- ${before ? `a${path}` : '/dev/null'}\n+++ b${path}\n(not shown, ${why}: ${body})\n`;
}

function isBinary(text: string): boolean {
  return /[\0\uFFFD]/.test(text);
}

export function unifiedDiff(path: string, before: string, after: string, created: boolean, redact?: (line: string) => string): string {
  if (isBinary(before) || isBinary(after)) {
    return `--- a${path}\n+++ b${path}\n(binary content: ${Buffer.byteLength(before)} → ${Buffer.byteLength(after)} bytes)\n`;
  }
  const patch = jsdiff().createTwoFilesPatch(created ? '/dev/null' : `a${path}`, `b${path}`, before, after, '', '', { context: 3 });
  // drop the "Index:"/"=====" preamble; keep the ---/+++ headers and hunks
  const body = patch.split('\n').filter((l, i) => !(i < 2 && (l.startsWith('Index:') || l.startsWith('===='))))
    .map((l) => (redact && /^[-+ ]/.test(l) && !/^(---|\+\+\+) /.test(l) ? `${l[0]}${redact(l.slice(1))}` : l));
  return mask(redactReplacedSecrets(body.join('\n'), after));
}

function hidden(path: string): string {
  return `--- a${path}\n+++ b${path}\n(content hidden: sensitive)\n`;
}

function octal(mode: number): string {
  return `0${mode.toString(8)}`;
}
