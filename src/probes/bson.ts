/*
 * The part of BSON (bsonspec.org) MongoDB's replies and st2prov's commands use. Numbers go out
 * as int32 when whole and small, else as doubles; int64 comes back as a number.
 */
export type BsonValue = string | number | boolean | null | Date | Buffer | BsonValue[] | BsonDocument;
export interface BsonDocument {
  [key: string]: BsonValue;
}

export function encodeBson(doc: BsonDocument): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(doc)) parts.push(element(key, value));
  return withLength(Buffer.concat([...parts, Buffer.from([0])]));
}

function withLength(body: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeInt32LE(body.length + 4);
  return Buffer.concat([len, body]);
}

function cstring(text: string): Buffer {
  if (text.includes('\0')) throw new Error('a BSON key cannot hold NUL');
  return Buffer.from(`${text}\0`);
}

function element(key: string, value: BsonValue): Buffer {
  const name = cstring(key);
  const typed = (type: number, payload: Buffer) => Buffer.concat([Buffer.from([type]), name, payload]);
  if (value === null) return typed(0x0a, Buffer.alloc(0));
  if (typeof value === 'boolean') return typed(0x08, Buffer.from([value ? 1 : 0]));
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    const len = Buffer.alloc(4);
    len.writeInt32LE(bytes.length + 1);
    return typed(0x02, Buffer.concat([len, bytes, Buffer.from([0])]));
  }
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= -0x80000000 && value <= 0x7fffffff) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(value);
      return typed(0x10, b);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    return typed(0x01, b);
  }
  if (value instanceof Date) {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(value.getTime()));
    return typed(0x09, b);
  }
  if (Buffer.isBuffer(value)) {
    const len = Buffer.alloc(4);
    len.writeInt32LE(value.length);
    return typed(0x05, Buffer.concat([len, Buffer.from([0]), value]));
  }
  if (Array.isArray(value)) return typed(0x04, encodeBson(Object.fromEntries(value.map((v, i) => [String(i), v]))));
  return typed(0x03, encodeBson(value));
}

/** A document from the start of `bytes`; throws on a malformed one. */
export function decodeBson(bytes: Buffer): BsonDocument {
  const size = bytes.readInt32LE(0);
  if (size < 5 || size > bytes.length) throw new Error('malformed BSON document');
  const doc: BsonDocument = {};
  let at = 4;
  while (at < size - 1) {
    const type = bytes[at]!;
    const keyEnd = bytes.indexOf(0, at + 1);
    const key = bytes.toString('utf8', at + 1, keyEnd);
    at = keyEnd + 1;
    const [value, next] = decodeValue(bytes, type, at);
    doc[key] = value;
    at = next;
  }
  return doc;
}

function decodeValue(b: Buffer, type: number, at: number): [BsonValue, number] {
  switch (type) {
    case 0x01: return [b.readDoubleLE(at), at + 8];
    case 0x02: {
      const len = b.readInt32LE(at);
      return [b.toString('utf8', at + 4, at + 4 + len - 1), at + 4 + len];
    }
    case 0x03: {
      const len = b.readInt32LE(at);
      return [decodeBson(b.subarray(at, at + len)), at + len];
    }
    case 0x04: {
      const len = b.readInt32LE(at);
      return [Object.values(decodeBson(b.subarray(at, at + len))), at + len];
    }
    case 0x05: {
      const len = b.readInt32LE(at);
      return [Buffer.from(b.subarray(at + 5, at + 5 + len)), at + 5 + len];
    }
    case 0x06: case 0x0a: case 0x7f: case 0xff: return [null, at];
    case 0x07: return [b.toString('hex', at, at + 12), at + 12];
    case 0x08: return [b[at] === 1, at + 1];
    case 0x09: return [new Date(Number(b.readBigInt64LE(at))), at + 8];
    case 0x0b: {
      const pattern = b.indexOf(0, at);
      const flags = b.indexOf(0, pattern + 1);
      return [b.toString('utf8', at, pattern), flags + 1];
    }
    case 0x10: return [b.readInt32LE(at), at + 4];
    case 0x11: return [{ t: b.readUInt32LE(at + 4), i: b.readUInt32LE(at) }, at + 8];
    case 0x12: return [Number(b.readBigInt64LE(at)), at + 8];
    case 0x13: return [b.toString('hex', at, at + 16), at + 16];
    default: throw new Error(`BSON type 0x${type.toString(16)} is not read by st2prov`);
  }
}
