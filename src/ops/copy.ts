import { readFileSync } from 'node:fs';
import { PlaybookError } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import { fileState } from '../facts/files.js';
import { file, type FileSpec } from './file.js';

/** A file of the control machine copied to the host (read when the step plans). */
export function copy(source: string, spec: Omit<FileSpec, 'content'>): Operation {
  return {
    title: `copy ${source} → ${spec.path}`,
    facts: () => [fileState(spec.path)],
    plan(host) {
      let content: string;
      try {
        content = readFileSync(source, 'utf8');
      } catch (err) {
        throw new PlaybookError(`cannot read ${source} on the control machine: ${(err as NodeJS.ErrnoException).code ?? err}`, 'give the path of an existing file');
      }
      return file({ ...spec, content }).plan(host);
    },
  };
}
