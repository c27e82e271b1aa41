import { createHash } from 'node:crypto';
import { closeSync, createReadStream, fstatSync, openSync, read, readSync } from 'node:fs';
import { Transform, pipeline } from 'node:stream';
import { NotReadWhole, readAtMost } from '../core/boundedRead.js';
import { PlaybookError } from '../core/errors.js';

/*
 * Files of the control machine, in bounded memory whatever their size: hashed by streaming
 * (the bytes kept only when small), sent as a stream that fails when they are no longer the
 * bytes that were planned, or read whole only under a limit that names the file.
 */

/** A file of the control machine as a plan saw it. */
export interface LocalFile {
  path: string;
  size: number;
  /** hex SHA-256 of its bytes */
  sha256: string;
  /** the owner may execute it */
  executable: boolean;
  /** what tells a change since (with size): a file rewritten gets a new mtime or inode */
  mtimeMs: number;
  ino: number;
  /** its bytes, when they are at most the `keep` asked for */
  bytes: Buffer | undefined;
}

const CHUNK = 1024 * 1024;

/** The most st2prov reads of a file a setting names (st2_repo_key, st2_tls_cert, st2_tls_key, sensor_partitions_file): a key or a certificate is a few KB. */
export const SETTING_FILE_LIMIT = 1024 * 1024;

/**
 * A local file's size and SHA-256, read in chunks: memory stays at one chunk whatever its
 * size. Its bytes are kept when there are at most `keep` of them. The first chunk is read at
 * once (a packs folder is thousands of small files); the rest without holding the event loop.
 */
export async function digestLocalFile(path: string, keep = 0): Promise<LocalFile> {
  const fd = openSync(path, 'r');
  try {
    const stat = fstatSync(fd);
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let size = 0;
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(stat.size + 1, 4096)));
    let n = readSync(fd, chunk, 0, chunk.length, null);
    while (n > 0) {
      hash.update(chunk.subarray(0, n));
      size += n;
      if (size <= keep) kept.push(Buffer.from(chunk.subarray(0, n)));
      else kept.length = 0;
      // a short read is the end of a small file, which one more read says at once
      n = n < chunk.length ? readSync(fd, chunk, 0, chunk.length, null) : await new Promise<number>((resolve, reject) => read(fd, chunk, 0, chunk.length, null, (err, got) => (err ? reject(err) : resolve(got))));
    }
    return { path, size, sha256: hash.digest('hex'), executable: (stat.mode & 0o100) !== 0, mtimeMs: stat.mtimeMs, ino: stat.ino, bytes: size <= keep ? Buffer.concat(kept) : undefined };
  } finally {
    closeSync(fd);
  }
}

/** A file of the control machine changed after the plan hashed it: nothing on the host was replaced. */
export class LocalFileChanged extends Error {
  constructor(readonly path: string, planned: { size: number; sha256: string }, seen?: string) {
    super(`${path} changed on the control machine while it was sent (the plan hashed ${planned.size} bytes, sha256 ${planned.sha256}${seen ? `; ${seen}` : ''}): nothing on the host was replaced; run again to send it as it is now`);
    this.name = 'LocalFileChanged';
  }
}

/** A stream that also checks: `changed` is set (and the stream fails) once the bytes read are not the planned ones. */
export type CheckedStream = Transform & { changed: LocalFileChanged | undefined };

/**
 * The file's bytes as a stream for a command's stdin, checked as they pass: more bytes than
 * planned, fewer, or others (their SHA-256 at the end) fail the stream before its end reaches
 * the host, which checks the same announced size and digest before anything goes live.
 */
export function sendLocalFile(file: { path: string; size: number; sha256: string }): CheckedStream {
  const hash = createHash('sha256');
  let sent = 0;
  const changed = (what: string) => (checked.changed = new LocalFileChanged(file.path, file, what));
  const checked = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      sent += chunk.length;
      if (sent > file.size) return done(changed('it grew since'));
      hash.update(chunk);
      done(null, chunk);
    },
    flush(done) {
      if (sent !== file.size) return done(changed(`${sent} bytes were read now`));
      const sha256 = hash.digest('hex');
      if (sha256 !== file.sha256) return done(changed(`the bytes read now have sha256 ${sha256}`));
      done();
    },
  }) as unknown as CheckedStream;
  checked.changed = undefined;
  pipeline(createReadStream(file.path, { highWaterMark: CHUNK }), checked, (err) => {
    // the command ended before taking it all (its own failure says why): no news of the file
    if (!err || (err as NodeJS.ErrnoException).code === 'ERR_STREAM_PREMATURE_CLOSE') return;
    // gone or unreadable since the plan: a change too
    if (!checked.changed) changed(`it cannot be read now: ${(err as NodeJS.ErrnoException).code ?? err.message}`);
  });
  return checked;
}

/**
 * A file of the control machine read whole, refused above `limit` with an error that names it
 * and the setting that gave it (a certificate, a key, a template: a few KB, never gigabytes).
 */
export function readLocalFile(path: string, limit: number, setting: string): Buffer {
  try {
    return readAtMost(path, limit);
  } catch (err) {
    if (err instanceof NotReadWhole) throw new PlaybookError(`${setting}: ${err.message}`, err.problem.startsWith('is not') ? 'give the path of a file' : 'give the right file');
    throw new PlaybookError(`${setting}: cannot read ${path} on the control machine: ${(err as NodeJS.ErrnoException).code ?? err}`, 'give the path of an existing file');
  }
}
