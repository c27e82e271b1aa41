import type { Operation } from '../engine/operation.js';
import { setConfKey, type ConfStyle } from '../edit/confKey.js';
import { removeIniKey, setIniKey } from '../edit/iniFile.js';
import { ensureHbaRule, formatRule, type HbaRule } from '../edit/pgHba.js';
import { editFile } from './file.js';

interface EditOptions {
  notify?: string[];
  validate?: readonly string[];
}

/** `key = value` in a file like postgresql.conf; value written as given (see pgValue). */
export function confKey(path: string, key: string, value: string, options: EditOptions & { style?: ConfStyle } = {}): Operation {
  return editFile('conf', path, `${key} in ${path}`, (text) => setConfKey(text, key, value, options.style), options);
}

/** Several keys of one `key = value` file in one read and one write. */
export function confKeys(path: string, entries: Record<string, string>, options: EditOptions & { style?: ConfStyle } = {}): Operation {
  return editFile('conf', path, `${Object.keys(entries).join(', ')} in ${path}`, (text) =>
    Object.entries(entries).reduce((t, [key, value]) => setConfKey(t, key, value, options.style), text), options);
}

/** `[section] key = value` in an INI file, comments kept. */
export function iniKey(path: string, section: string, key: string, value: string, options: EditOptions = {}): Operation {
  return editFile('ini', path, `[${section}] ${key} in ${path}`, (text) => setIniKey(text, section, key, value), options);
}

/** Several INI keys of one file in one read and one write. */
export function iniKeys(path: string, entries: readonly [section: string, key: string, value: string | undefined][], options: EditOptions = {}): Operation {
  const names = entries.map(([s, k]) => `[${s}] ${k}`).join(', ');
  return editFile('ini', path, `${names} in ${path}`, (text) =>
    entries.reduce((t, [section, key, value]) => (value === undefined ? removeIniKey(t, section, key) : setIniKey(t, section, key, value)), text), options);
}

/** One pg_hba.conf rule, present once. */
export function pgHbaRule(path: string, rule: HbaRule, options: EditOptions = {}): Operation {
  return editFile('pg_hba', path, `rule "${formatRule(rule).replace(/\t/g, ' ')}" in ${path}`, (text) => ensureHbaRule(text, rule), options);
}
