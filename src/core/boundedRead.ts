import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { limitText, sizeText } from './sizes.js';

/** Why a file of the control machine was not read: it is not a regular file, or larger than asked. */
export class NotReadWhole extends Error {
  constructor(readonly path: string, readonly problem: string) {
    super(`${path} ${problem}`);
    this.name = 'NotReadWhole';
  }
}

/**
 * A file of the control machine read whole, at most `limit` bytes of it, whatever it turns
 * out to be: a device (/dev/zero) or a pipe is refused before a byte is read (opened without
 * blocking: a pipe with no writer would hold the run forever), and a file that holds more
 * than `limit` (or grows past it while read) is refused once `limit + 1` bytes came, never
 * read to its end. `flags` adds to O_RDONLY (O_NOFOLLOW for the state folder's files).
 * Errors of the file system (ENOENT, EACCES) are thrown as they are.
 */
export function readAtMost(path: string, limit: number, flags = 0): Buffer {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | flags);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new NotReadWhole(path, 'is not a regular file');
    // sized by fstat, grown if the file grows while read, never past limit + 1
    let bytes = Buffer.alloc(Math.min(limit, stat.size) + 1);
    let got = 0;
    for (;;) {
      if (got === bytes.length) {
        if (got > limit) throw new NotReadWhole(path, `is ${sizeText(Math.max(stat.size, got))}, more than the ${limitText(limit)} st2prov reads of it`);
        const more = Buffer.alloc(Math.min(limit + 1, bytes.length * 2));
        bytes.copy(more);
        bytes = more;
      }
      const n = readSync(fd, bytes, got, bytes.length - got, null);
      if (n === 0) return bytes.subarray(0, got);
      got += n;
    }
  } finally {
    closeSync(fd);
  }
}
