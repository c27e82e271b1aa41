import { fileURLToPath } from 'node:url';

/** The project folder (templates/, playbooks/); this file runs from dist/src/. */
export const projectRoot = fileURLToPath(new URL('../..', import.meta.url));
export const templatesDir = `${projectRoot}templates`;
export const compiledPlaybooksDir = `${projectRoot}dist/playbooks`;
