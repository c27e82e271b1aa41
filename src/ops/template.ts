import { existsSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type ejsModule from 'ejs';
import { lazy, onceEach } from '../core/lazy.js';
import { PlaybookError } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import { isSecret } from '../core/secret.js';
import { fileState } from '../facts/files.js';
import { readLocalFile } from '../facts/localFiles.js';
import { templatesDir } from '../paths.js';
import { file, type FileSpec } from './file.js';

const ejs = lazy<typeof ejsModule>('ejs');

/** The largest template source read (a config file's template is a few KB). */
const TEMPLATE_LIMIT = 1024 * 1024;

/**
 * Renders an ejs template from templates/. Secrets are given to the template as their values
 * (the rendered file needs them); every output masks them again. A variable the template uses
 * but nobody set is an error naming the template and the variable.
 */
export function renderTemplate(name: string, vars: Record<string, unknown>): string {
  const path = isAbsolute(name) ? name : join(templatesDir, name);
  const shown = basename(name);
  const unset = Object.entries(vars).find(([, v]) => v === undefined || v === null);
  if (unset) throw new PlaybookError(`template ${shown} is given variable "${unset[0]}" without a value`, `set ${unset[0]} in the inventory or with -e`);
  try {
    return compiled(path, name)(reveal(vars) as ejsModule.Data);
  } catch (err) {
    if (err instanceof PlaybookError) throw err;
    const message = (err as Error).message;
    const undefinedName = /(\S+) is not defined/.exec(message)?.[1];
    if (undefinedName) {
      const line = /:(\d+)\n/.exec(message)?.[1];
      throw new PlaybookError(`template ${shown}${line ? ` line ${line}` : ''} uses variable "${undefinedName}", which is not defined`, `set ${undefinedName} in the inventory or with -e`);
    }
    throw new PlaybookError(`template ${shown} failed: ${message}`);
  }
}

/** Each template is read and compiled once per run (by its path): a run renders the same few for every host. */
const compiled = onceEach((path: string, name: string): ejsModule.TemplateFunction => {
  if (!existsSync(path)) throw new PlaybookError(`template ${name} not found (looked at ${path})`);
  const source = readLocalFile(path, TEMPLATE_LIMIT, `template ${name}`).toString();
  // config files, not HTML: <%= %> writes values as they are
  return ejs().compile(source, { filename: path, async: false, rmWhitespace: false, escape: (v: unknown) => String(v) });
}, (path) => path);

/** A file rendered from a template: a name in templates/, or the absolute path of one of your own. */
export function template(name: string, vars: Record<string, unknown>, spec: Omit<FileSpec, 'content'>): Operation {
  return {
    title: `template ${name} → ${spec.path}`,
    facts: () => [fileState(spec.path)],
    plan(host) {
      return file({ ...spec, content: renderTemplate(name, vars) }).plan(host);
    },
  };
}

function reveal(value: unknown): unknown {
  if (isSecret(value)) return value.reveal();
  if (Array.isArray(value)) return value.map(reveal);
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, reveal(v)]));
  }
  return value;
}
