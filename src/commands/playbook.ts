import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { PlaybookError } from '../core/errors.js';
import type { Play } from '../core/operation.js';
import { compiledPlaybooksDir } from '../paths.js';

/** A playbook by name (playbooks/NAME.ts, compiled) or by path to a compiled module. */
export async function loadPlaybook(nameOrPath: string): Promise<Play[]> {
  const byName = `${compiledPlaybooksDir}/${nameOrPath}.js`;
  const path = /[/\\]|\.js$/.test(nameOrPath) ? (isAbsolute(nameOrPath) ? nameOrPath : resolve(nameOrPath)) : byName;
  if (!existsSync(path)) throw new PlaybookError(`playbook "${nameOrPath}" not found (looked at ${path})`, 'use site, controller or blueprint, or the path of a compiled playbook module');
  let module: { plays?: Play[] };
  try {
    module = (await import(pathToFileURL(path).href)) as { plays?: Play[] };
  } catch (err) {
    throw new PlaybookError(`cannot load playbook ${path}: ${(err as Error).message.split('\n')[0]}`, 'give a compiled playbook module (a .js file exporting "plays")');
  }
  if (!Array.isArray(module.plays)) throw new PlaybookError(`${path} does not export "plays"`, 'a playbook module exports `plays: Play[]`');
  return module.plays;
}
