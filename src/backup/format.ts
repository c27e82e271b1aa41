import { createHash, createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { UsageError } from '../core/errors.js';

/*
 * The backup file, format 2: written while mongodump streams into it, read and checked in one
 * pass, in bounded memory whatever the size of the dump.
 *
 *   st2prov-backup 2\n                         the format, in a line a person can read
 *   frame*                                     type (1 byte) · length (4 bytes, big-endian) · payload
 *
 *   M  the manifest (JSON), first and once
 *   E  an entry's header (JSON: name, mode, owner, group, link target), then
 *   D  its bytes, in frames of 1 byte to 1 MiB, in order (none for a folder or a link), then
 *   F  its trailer (JSON: size, sha256 of its bytes)
 *   Z  the end (JSON: how many entries)
 *   A  the MAC: HMAC-SHA256, under the cluster's backup key, of every byte before this frame
 *   (nothing after it)
 *
 * Why this shape. The dump's size and digest are known only once mongodump has ended, so they
 * come after its bytes (a trailer), and the bytes come in frames, so neither side needs a size
 * ahead. Every frame's length is checked against its type's bound before its payload is read: a
 * reader never holds more than one frame of a dump (a JSON frame at most 64 KiB), and a file of
 * garbage is refused at its first frame. The MAC covers the whole file (a frame's type and length
 * included), so nothing can be added, removed, reordered or altered without the key; a digest per
 * entry still says which entry is damaged when the file is merely broken. Nothing in the file is
 * compressed by st2prov (the dump is mongodump's own gzip archive, handed to mongorestore as it
 * is, and the rest is small), so there is no compression ratio to bound: what a reader holds is
 * bounded by the frames' lengths and by what each kind of entry may weigh (see contents.ts).
 */

export const MAGIC = 'st2prov-backup';
export const BACKUP_FORMAT = 2;
const HEAD = Buffer.from(`${MAGIC} ${BACKUP_FORMAT}\n`);

export const FRAME = { manifest: 0x4d, entry: 0x45, data: 0x44, finish: 0x46, end: 0x5a, mac: 0x41 } as const;
export const JSON_FRAME_MAX = 64 * 1024;
export const DATA_FRAME_MAX = 1024 * 1024;
const MAC_SIZE = 32;
const FRAME_HEAD = 5;

/** An entry's header as the file holds it; what each field may be is contents.ts's to say. */
export interface EntryHeader {
  name: string;
  mode?: string;
  owner?: string;
  group?: string;
  /** a link's target */
  target?: string;
}

export const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

function frameHead(type: number, length: number): Buffer {
  const head = Buffer.alloc(FRAME_HEAD);
  head[0] = type;
  head.writeUInt32BE(length, 1);
  return head;
}

/** Where a writer's bytes go, in order: a file, or memory in tests. */
export interface ByteSink {
  write(parts: readonly Buffer[]): Promise<void>;
}

/**
 * Writes a backup in format 2: the manifest, entries (whole, or streamed as they come), then
 * the end and the MAC. Each call waits for its bytes to be written, so memory holds at most a
 * frame of a streamed entry.
 */
export class BackupWriter {
  private readonly mac: Hmac;
  private entries = 0;
  private started = false;
  private streaming = false;

  constructor(private readonly out: ByteSink, key: Buffer) {
    this.mac = createHmac('sha256', key);
  }

  async start(manifest: object): Promise<void> {
    if (this.started) throw new Error('bug: a backup started twice');
    this.started = true;
    this.mac.update(HEAD);
    await this.out.write([HEAD]);
    await this.json(FRAME.manifest, manifest);
  }

  /** An entry whose bytes are all here. */
  async entry(header: EntryHeader, data: Buffer = Buffer.alloc(0)): Promise<void> {
    this.ready();
    await this.json(FRAME.entry, header);
    for (let at = 0; at < data.length; at += DATA_FRAME_MAX) await this.frame(FRAME.data, data.subarray(at, at + DATA_FRAME_MAX));
    await this.json(FRAME.finish, { size: data.length, sha256: sha256(data) });
    this.entries += 1;
  }

  /**
   * An entry whose bytes come as a stream (mongodump's output): what is written to the sink
   * goes to the file in frames as it comes, with backpressure; ending the sink writes the
   * trailer. Bytes are gathered up to a frame's worth (1 MiB) so a file is not made of tiny frames.
   */
  entryStream(header: EntryHeader, written?: (size: number) => void): Writable {
    this.ready();
    this.streaming = true;
    const hash = createHash('sha256');
    let size = 0;
    let pending: Buffer[] = [];
    let held = 0;
    let headerWritten: Promise<void> | undefined;
    const flush = async (all: boolean) => {
      await (headerWritten ??= this.json(FRAME.entry, header));
      if (held < DATA_FRAME_MAX && !(all && held > 0)) return;
      const whole = Buffer.concat(pending, held);
      let at = 0;
      while (whole.length - at >= DATA_FRAME_MAX || (all && at < whole.length)) {
        const part = whole.subarray(at, at + DATA_FRAME_MAX);
        at += part.length;
        await this.frame(FRAME.data, part);
      }
      pending = at < whole.length ? [whole.subarray(at)] : [];
      held = whole.length - at;
    };
    return new Writable({
      highWaterMark: DATA_FRAME_MAX,
      write: (chunk: Buffer, _encoding, done) => {
        hash.update(chunk);
        size += chunk.length;
        pending.push(chunk);
        held += chunk.length;
        (held >= DATA_FRAME_MAX ? flush(false) : Promise.resolve()).then(() => done(), done);
      },
      final: (done) => {
        flush(true)
          .then(() => this.json(FRAME.finish, { size, sha256: hash.digest('hex') }))
          .then(() => {
            this.entries += 1;
            this.streaming = false;
            written?.(size);
            done();
          }, done);
      },
    });
  }

  /** The end and the MAC: the file is whole once these are written. */
  async finish(): Promise<void> {
    this.ready();
    await this.json(FRAME.end, { entries: this.entries });
    const tag = this.mac.digest();
    await this.out.write([frameHead(FRAME.mac, tag.length), tag]);
  }

  private ready(): void {
    if (!this.started || this.streaming) throw new Error('bug: a backup entry written out of order');
  }

  private json(type: number, value: object): Promise<void> {
    const payload = Buffer.from(JSON.stringify(value));
    if (payload.length > JSON_FRAME_MAX) throw new Error(`bug: a backup header of ${payload.length} bytes`);
    return this.frame(type, payload);
  }

  private async frame(type: number, payload: Buffer): Promise<void> {
    const head = frameHead(type, payload.length);
    this.mac.update(head);
    this.mac.update(payload);
    await this.out.write([head, payload]);
  }
}

/** Reads bytes at a position: a FileHandle, or a test's counting wrapper of one. */
export interface ByteSource {
  read(buffer: Buffer, offset: number, length: number, position: number): Promise<{ bytesRead: number }>;
}

/** An entry as read: its header, size and digest, its bytes when kept, and where its header frame starts. */
export interface EntryRead {
  header: EntryHeader;
  size: number;
  sha256: string;
  data?: Buffer;
  at: number;
}

export interface ReadRules {
  /** Checks the manifest as soon as it is read (before any entry), throwing what refuses it. */
  manifest(manifest: unknown): void;
  /**
   * Checks an entry's header before its bytes are read: the most bytes it may have, and
   * whether they are kept in memory (else only hashed). Throws what refuses it.
   */
  entry(header: EntryHeader, before: readonly EntryRead[]): { max: number; keep: boolean };
  /** the backup key (no key: the MAC is not checked; the caller refuses the file) */
  key?: Buffer;
}

export interface FileRead {
  manifest: unknown;
  entries: EntryRead[];
  mac: 'valid' | 'invalid' | 'unchecked';
  /** bytes read, the file's size */
  size: number;
}

/** Why a file is refused; the caller names the file. */
export class BackupRefusal extends UsageError {
  constructor(readonly kind: 'not-backup' | 'format' | 'damaged' | 'crafted' | 'key', message: string, remedy: string) {
    super(message, remedy);
    this.name = 'BackupRefusal';
  }
}

export const REMEDY_DAMAGED = 'nothing was restored; use another copy of the backup';
export const damaged = (why: string) => new BackupRefusal('damaged', `is a damaged st2prov backup: ${why}`, REMEDY_DAMAGED);

/** The format a file names in its first line, or a refusal when it is not a backup of this format. */
async function readHead(source: ByteSource): Promise<void> {
  const first = Buffer.alloc(64);
  const { bytesRead } = await source.read(first, 0, first.length, 0);
  const line = first.subarray(0, bytesRead);
  const nl = line.indexOf(0x0a);
  const text = nl < 0 ? '' : line.subarray(0, nl).toString('latin1');
  const m = /^st2prov-backup (\S{1,16})$/.exec(text);
  if (!m) throw new BackupRefusal('not-backup', 'is not an st2prov backup', 'give a file written by st2prov backup');
  if (m[1] === '1') {
    throw new BackupRefusal('format', 'is an st2prov backup of format 1, which this st2prov does not restore: format 1 carries no MAC (nothing says the cluster wrote it) and is read whole into memory',
      'restore it with the st2prov that wrote it (version 0.1.0), then take a new backup with this one');
  }
  if (m[1] !== String(BACKUP_FORMAT)) throw new BackupRefusal('format', `is an st2prov backup of format ${JSON.stringify(m[1]).slice(1, -1)}; this st2prov reads format ${BACKUP_FORMAT}`, 'restore it with the st2prov that wrote it');
}

/** Reads `length` bytes at `position` (fewer only at the end of the file). */
async function readAt(source: ByteSource, buffer: Buffer, length: number, position: number): Promise<number> {
  let got = 0;
  while (got < length) {
    const { bytesRead } = await source.read(buffer, got, length - got, position + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

const LIMIT: Record<number, [min: number, max: number]> = {
  [FRAME.manifest]: [2, JSON_FRAME_MAX],
  [FRAME.entry]: [2, JSON_FRAME_MAX],
  [FRAME.data]: [1, DATA_FRAME_MAX],
  [FRAME.finish]: [2, JSON_FRAME_MAX],
  [FRAME.end]: [2, JSON_FRAME_MAX],
  [FRAME.mac]: [MAC_SIZE, MAC_SIZE],
};

/** Frames read one after the other, each length checked against its type's bound before its payload is read. */
class FrameReader {
  position: number;
  private readonly head = Buffer.alloc(FRAME_HEAD);
  private readonly scratch = Buffer.allocUnsafe(DATA_FRAME_MAX);

  constructor(private readonly source: ByteSource, start: number, private readonly mac?: Hmac) {
    this.position = start;
  }

  /** The next frame; undefined at the end of the file. `keep`: its payload in a buffer of its own (else a scratch buffer, valid until the next read). */
  async next(keep: boolean): Promise<{ type: number; payload: Buffer; at: number } | undefined> {
    const at = this.position;
    const got = await readAt(this.source, this.head, FRAME_HEAD, at);
    if (got === 0) return undefined;
    if (got < FRAME_HEAD) throw damaged(`it is cut short at byte ${at + got}`);
    const type = this.head[0]!;
    const length = this.head.readUInt32BE(1);
    const limit = LIMIT[type];
    if (!limit) throw damaged(`byte ${at} starts a part of unknown kind (0x${type.toString(16).padStart(2, '0')})`);
    if (length < limit[0] || length > limit[1]) throw damaged(`a part at byte ${at} says it is ${length} bytes long (its kind holds ${limit[0]} to ${limit[1]})`);
    const payload = keep || length > this.scratch.length ? Buffer.allocUnsafe(length) : this.scratch.subarray(0, length);
    const read = await readAt(this.source, payload, length, at + FRAME_HEAD);
    if (read < length) throw damaged(`it is cut short at byte ${at + FRAME_HEAD + read}`);
    if (type !== FRAME.mac) this.mac?.update(this.head).update(payload);
    this.position = at + FRAME_HEAD + length;
    return { type, payload, at };
  }
}

function parseJson(payload: Buffer, what: string): unknown {
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(payload));
  } catch {
    throw damaged(`${what} does not parse`);
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function trailer(payload: Buffer): { size: number; sha256: string } {
  const t = parseJson(payload, 'an entry’s trailer');
  if (!isObject(t) || Object.keys(t).length !== 2 || !Number.isSafeInteger(t.size) || (t.size as number) < 0 || typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256)) {
    throw damaged('an entry’s trailer lacks its size or digest');
  }
  return t as { size: number; sha256: string };
}

/**
 * Reads a whole backup once, checking as it goes: the format line, each frame's kind, length
 * and place, the manifest and each entry's header (by `rules`, before the entry's bytes), each
 * entry's size and SHA-256, the end, the MAC, and that nothing follows. Memory: the kept
 * entries (bounded by `rules`) and one frame.
 */
export async function readBackup(source: ByteSource, rules: ReadRules): Promise<FileRead> {
  await readHead(source);
  const mac = rules.key ? createHmac('sha256', rules.key).update(HEAD) : undefined;
  const frames = new FrameReader(source, HEAD.length, mac);
  const first = await frames.next(true);
  if (!first) throw damaged('it is cut short after its first line');
  if (first.type !== FRAME.manifest) throw damaged('it does not start with its manifest');
  const manifest = parseJson(first.payload, 'its manifest');
  rules.manifest(manifest);
  const entries: EntryRead[] = [];
  for (;;) {
    const frame = await frames.next(true);
    if (!frame) throw damaged('it is cut short: its end and MAC are missing');
    if (frame.type === FRAME.end) {
      const end = parseJson(frame.payload, 'its end');
      if (!isObject(end) || Object.keys(end).length !== 1 || end.entries !== entries.length) throw damaged(`its end does not count the ${entries.length} entries it holds`);
      break;
    }
    if (frame.type !== FRAME.entry) throw damaged(`a part at byte ${frame.at} is out of place`);
    const header = parseJson(frame.payload, 'an entry’s header') as EntryHeader;
    const { max, keep } = rules.entry(header, entries);
    const hash = createHash('sha256');
    const kept: Buffer[] = [];
    let size = 0;
    for (;;) {
      const part = await frames.next(keep);
      if (!part) throw damaged('it is cut short in the middle of an entry');
      if (part.type === FRAME.data) {
        size += part.payload.length;
        if (size > max) throw new BackupRefusal('crafted', `is refused: its entry ${entryLabel(header)} is larger than a backup holds (over ${max} bytes)`, 'nothing was restored; restore only a file written by st2prov backup');
        hash.update(part.payload);
        if (keep) kept.push(part.payload);
        continue;
      }
      if (part.type !== FRAME.finish) throw damaged(`a part at byte ${part.at} is out of place`);
      const t = trailer(part.payload);
      const digest = hash.digest('hex');
      if (t.size !== size) throw damaged(`${entryLabel(header)} is cut: ${size} of ${t.size} bytes`);
      if (t.sha256 !== digest) throw damaged(`${entryLabel(header)} does not match its checksum`);
      entries.push({ header, size, sha256: digest, at: frame.at, ...(keep ? { data: Buffer.concat(kept, size) } : {}) });
      break;
    }
  }
  const tag = await frames.next(true);
  if (!tag) throw damaged('it is cut short: its MAC is missing');
  if (tag.type !== FRAME.mac) throw damaged(`a part at byte ${tag.at} is out of place`);
  const size = frames.position;
  if (await readAt(source, Buffer.alloc(1), 1, size)) throw damaged(`bytes follow its MAC, at byte ${size}`);
  const verdict = !mac ? 'unchecked' : timingSafeEqual(mac.digest(), tag.payload) ? 'valid' : 'invalid';
  return { manifest, entries, mac: verdict, size };
}

/** An entry's name for a message, quoted and printable (never raw bytes). */
export function entryLabel(header: unknown): string {
  const name = isObject(header) && typeof header.name === 'string' ? header.name : undefined;
  return name === undefined ? 'an entry without a name' : `"${printable(name.length > 300 ? `${name.slice(0, 300)}…` : name)}"`;
}

/** Control characters (C0, DEL, C1), line and paragraph separators and bidirectional marks: what can move a terminal's cursor, recolour it, or make text pass for other text. */
const UNPRINTABLE = '\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u200e\\u200f\\u202a-\\u202e\\u2066-\\u2069';
/** A surrogate without its pair: not UTF-16 text (bytes that were not UTF-8). */
const LONE_SURROGATE = '[\\ud800-\\udbff](?![\\udc00-\\udfff])|(?<![\\ud800-\\udbff])[\\udc00-\\udfff]';

const UNPRINTABLE_CHAR = new RegExp(`[${UNPRINTABLE}]`);
const LONE_SURROGATE_CHAR = new RegExp(LONE_SURROGATE);
const ESCAPED = new RegExp(`[${UNPRINTABLE}"\\\\]|${LONE_SURROGATE}`, 'g');

/** Whether text holds a character `printable` would escape (quotes and backslashes aside). */
export function hasUnprintable(text: string): boolean {
  return UNPRINTABLE_CHAR.test(text);
}

/** Whether text holds a lone surrogate, or the replacement character bytes that were not UTF-8 became. */
export function notUtf8Text(text: string): boolean {
  return LONE_SURROGATE_CHAR.test(text) || text.includes('\ufffd');
}

/**
 * A name as it may be printed: unprintable characters and lone surrogates escaped, so a
 * crafted name cannot move the cursor, recolour a terminal or pass for other text.
 */
export function printable(text: string): string {
  return text.replace(ESCAPED, (c) => {
    if (c === '"' || c === '\\') return `\\${c}`;
    const code = c.charCodeAt(0);
    return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/**
 * The bytes of one entry read again from the file (the dump, for mongorestore): from its header
 * frame at `at` to its trailer, checked again as they go (a file changed since it was verified
 * fails the stream before its end, and the size and digest must be the ones verified).
 */
export function entryStream(source: ByteSource, at: number, expected: { name: string; size: number; sha256: string }): Readable {
  async function* bytes(): AsyncGenerator<Buffer> {
    const frames = new FrameReader(source, at);
    const changed = (why: string) => new Error(`the backup file changed since it was verified (${why}): nothing more of it is sent`);
    const head = await frames.next(true);
    if (!head || head.type !== FRAME.entry || (parseJson(head.payload, 'an entry’s header') as EntryHeader).name !== expected.name) throw changed(`no entry ${entryLabel(expected)} at byte ${at}`);
    const hash = createHash('sha256');
    let size = 0;
    for (;;) {
      const part = await frames.next(true);
      if (!part) throw changed('it is cut short');
      if (part.type === FRAME.finish) break;
      if (part.type !== FRAME.data) throw changed(`a part at byte ${part.at} is out of place`);
      size += part.payload.length;
      if (size > expected.size) throw changed('the entry is longer');
      hash.update(part.payload);
      yield part.payload;
    }
    if (size !== expected.size || hash.digest('hex') !== expected.sha256) throw changed('the entry’s bytes differ');
  }
  return Readable.from(bytes(), { objectMode: false });
}
