import { lazy } from '../core/lazy.js';
import { MissingInput } from '../core/errors.js';
import { change, type Change } from '../core/change.js';
import type { HostContext } from '../core/context.js';
import type { Operation } from '../core/operation.js';
import { fileState, type FileState } from '../facts/files.js';
import { isSecret, mask, redactReplacedSecrets, type Secret } from '../core/secret.js';
import { setAttributes, writeFileAtomically, type WriteOptions } from './fileWrite.js';

const jsdiff = lazy<typeof import('diff')>('diff');

export interface FileSpec extends WriteOptions {
  path: string;
  /** a Secret (a key, htpasswd) is written as it is, but its diff says only that it changed */
  content: string | Secret;
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
 * content. A missing file is a missing input (its package may not be installed yet).
 */
export function editFile(kind: string, path: string, title: string, transform: (text: string) => string, options: { notify?: string[]; validate?: readonly string[]; redact?: (line: string) => string } = {}): Operation {
  return {
    title,
    facts: () => [fileState(path)],
    async plan(host) {
      const state = await host.fact(fileState(path));
      if (!state.exists) throw new MissingInput(path);
      return fileChanges(host, { path, content: transform(state.content), ...options }, state, kind, title);
    },
  };
}

export function fileChanges(host: HostContext, spec: FileSpec, state: FileState, kind: string, title?: string): Change[] {
  const notify = spec.notify ?? [];
  const sensitive = isSecret(spec.content);
  const content = isSecret(spec.content) ? spec.content.reveal() : spec.content;
  const write = { ...spec, content };
  const wantMode = spec.mode === undefined ? undefined : parseInt(spec.mode, 8);
  const [wantUser, wantGroup] = (spec.owner ?? '').split(':');
  if (!state.exists) {
    return [
      change({
        kind,
        summary: `create ${spec.path}${spec.mode ? ` (mode ${spec.mode})` : ''}`,
        diff: sensitive ? hidden(spec.path) : unifiedDiff(spec.path, '', content, true, spec.redact),
        notify,
        apply: () => writeFileAtomically(host, spec.path, content, write),
      }),
    ];
  }
  const attrs: string[] = [];
  if (wantMode !== undefined && state.mode !== wantMode) attrs.push(`mode ${octal(state.mode)} → ${octal(wantMode)}`);
  if (wantUser && state.owner !== wantUser) attrs.push(`owner ${state.owner} → ${wantUser}`);
  if (wantGroup && state.group !== wantGroup) attrs.push(`group ${state.group} → ${wantGroup}`);
  if (state.content !== content) {
    return [
      change({
        kind,
        summary: `${title ?? 'update'} ${title ? '' : spec.path}`.trim() + (attrs.length ? `; ${attrs.join(', ')}` : ''),
        diff: sensitive ? hidden(spec.path) : unifiedDiff(spec.path, state.content, content, false, spec.redact),
        notify,
        apply: () => writeFileAtomically(host, spec.path, content, write),
      }),
    ];
  }
  if (attrs.length) {
    return [change({ kind, summary: `${spec.path}: ${attrs.join(', ')}`, notify, apply: () => setAttributes(host, spec.path, spec) })];
  }
  return [];
}

export function unifiedDiff(path: string, before: string, after: string, created: boolean, redact?: (line: string) => string): string {
  if (/[\0\uFFFD]/.test(before) || /[\0\uFFFD]/.test(after)) {
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
