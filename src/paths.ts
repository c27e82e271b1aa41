import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The project folder (templates/, playbooks/); this file runs from dist/src/. */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const templatesDir = `${projectRoot}templates`;
export const compiledPlaybooksDir = `${projectRoot}dist/playbooks`;

/** st2prov's own version, from its package.json. */
export function st2provVersion(): string {
  return (JSON.parse(readFileSync(`${projectRoot}package.json`, 'utf8')) as { version: string }).version;
}
