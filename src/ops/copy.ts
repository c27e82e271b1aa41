import { PlaybookError } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import { FILE_CONTENT_LIMIT, fileState } from '../facts/files.js';
import { digestLocalFile, type LocalFile } from '../facts/localFiles.js';
import { file, type FileSpec } from './file.js';

/**
 * A file of the control machine copied to the host, of any size: hashed when the step plans
 * (its text kept for the diff when small), streamed when it is sent. Bytes that are no longer
 * the planned ones when they are sent fail the host and never go live.
 */
export function copy(source: string, spec: Omit<FileSpec, 'content'>): Operation {
  return {
    title: `copy ${source} → ${spec.path}`,
    facts: () => [fileState(spec.path)],
    async plan(host) {
      let content: LocalFile;
      try {
        content = await digestLocalFile(source, FILE_CONTENT_LIMIT);
      } catch (err) {
        throw new PlaybookError(`cannot read ${source} on the control machine: ${(err as NodeJS.ErrnoException).code ?? err}`, 'give the path of an existing file');
      }
      return file({ ...spec, content }).plan(host);
    },
  };
}
