import type { Operation } from '../core/operation.js';
import { isSecret, remember, type Secret } from '../core/secret.js';
import { CONF_STYLE, setConfKey, type ConfStyle } from '../edit/confKey.js';
import { removeIniKey, setIniKey } from '../edit/iniFile.js';
import { ensureHbaRule, formatRule, type HbaRule } from '../edit/pgHba.js';
import { setYamlKey } from '../edit/yamlKey.js';
import { editFile } from './file.js';

interface EditOptions {
  notify?: string[];
  validate?: readonly string[];
}

/** A value as playbooks give it: text, a secret, or words the file's style joins. */
export type ConfValue = string | Secret | readonly string[];

/**
 * Several keys of one `key value` file (postgresql.conf, redis.conf, a shell env file) in one
 * read and one write, each value encoded for the file's syntax by its style.
 */
export function confKeys(path: string, entries: Readonly<Record<string, ConfValue>>, options: EditOptions & { style?: ConfStyle } = {}): Operation {
  const style = options.style ?? CONF_STYLE;
  const encoded = (value: ConfValue) => {
    if (!isSecret(value)) return style.encode(value);
    // the secret as the file holds it (quoted, escaped) is masked in diffs too
    const text = style.encode(value.reveal());
    remember(text);
    remember(text.replace(/^(["'])(.*)\1$/, '$2'));
    return text;
  };
  return editFile('conf', path, `${Object.keys(entries).join(', ')} in ${path}`, (text) =>
    Object.entries(entries).reduce((t, [key, value]) => setConfKey(t, key, encoded(value), style), text), options);
}

/** One key of a `key value` file. */
export function confKey(path: string, key: string, value: ConfValue, options: EditOptions & { style?: ConfStyle } = {}): Operation {
  return confKeys(path, { [key]: value }, options);
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

/** `parent.child: value` in a block-style YAML file (mongod.conf), comments kept. */
export function yamlKey(path: string, key: `${string}.${string}`, value: string, options: EditOptions = {}): Operation {
  const [parent, child] = key.split('.') as [string, string];
  return editFile('yaml', path, `${key} in ${path}`, (text) => setYamlKey(text, parent, child, value), options);
}
