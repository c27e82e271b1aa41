import type { Duplex } from 'node:stream';
import type { TcpOpener } from '../core/command.js';
import { decodeBson, encodeBson, type BsonDocument } from './bson.js';
import { ANSWER_LIMIT, onAnswer } from './answer.js';

/*
 * MongoDB commands spoken over MongoDB's wire protocol through the host's own TCP stack, as
 * the AMQP and Redis probes are: no mongo shell on the host (its name and flags changed
 * across versions), and what a host sees is what its drivers see. The handshake is isMaster
 * as OP_QUERY on admin.$cmd, which every server version answers; a server that speaks OP_MSG
 * (wire version 6, MongoDB 3.6) gets the commands after it as OP_MSG, an older one as OP_QUERY.
 */
const OP_REPLY = 1;
const OP_QUERY = 2004;
const OP_MSG = 2013;
const OP_MSG_WIRE_VERSION = 6;
const ANSWER_MS = 5000;

/** What a command answered: the document, with `ok` 1 or 0 (then `errmsg`, `code`, `codeName`). */
export type MongoReply = BsonDocument;

/** The handshake's answer (isMaster) and then each command's, in one connection. */
export async function mongoCommands(from: TcpOpener, address: string, port: number, commands: readonly BsonDocument[]): Promise<{ hello: MongoReply; replies: MongoReply[] }> {
  return from.withTcp(address, port, (stream) => session(stream, commands));
}

/** One command's answer (after the handshake). */
export async function mongoCommand(from: TcpOpener, address: string, port: number, command: BsonDocument): Promise<MongoReply> {
  const { replies } = await mongoCommands(from, address, port, [command]);
  return replies[0]!;
}

/** The error of a reply that is not ok, as MongoDB names it. */
export function mongoError(reply: MongoReply): string | undefined {
  if (reply.ok === 1 || reply.ok === true) return undefined;
  return `${String(reply.codeName ?? reply.code ?? 'error')}: ${String(reply.errmsg ?? 'no message')}`;
}

async function session(stream: Duplex, commands: readonly BsonDocument[]): Promise<{ hello: MongoReply; replies: MongoReply[] }> {
  const reader = frames(stream);
  let id = 1;
  const ask = async (command: BsonDocument, msg: boolean): Promise<MongoReply> => {
    const requestId = id++;
    stream.write(msg ? opMsg(requestId, { ...command, $db: 'admin' }) : opQuery(requestId, command));
    const frame = await reader.next();
    const opCode = frame.readInt32LE(12);
    if (opCode === OP_MSG) return decodeBson(frame.subarray(21));
    if (opCode === OP_REPLY) return decodeBson(frame.subarray(36));
    throw new Error(`MongoDB answered with opcode ${opCode}`);
  };
  try {
    const hello = await ask({ isMaster: 1 }, false);
    const msg = Number(hello.maxWireVersion ?? 0) >= OP_MSG_WIRE_VERSION;
    const replies: MongoReply[] = [];
    for (const command of commands) replies.push(await ask(command, msg));
    return { hello, replies };
  } finally {
    reader.close();
  }
}

function header(length: number, requestId: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(length, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(0, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

function opQuery(requestId: number, command: BsonDocument): Buffer {
  const body = Buffer.concat([int32(0), Buffer.from('admin.$cmd\0'), int32(0), int32(-1), encodeBson(command)]);
  return Buffer.concat([header(16 + body.length, requestId, OP_QUERY), body]);
}

function opMsg(requestId: number, command: BsonDocument): Buffer {
  const body = Buffer.concat([int32(0), Buffer.from([0]), encodeBson(command)]);
  return Buffer.concat([header(16 + body.length, requestId, OP_MSG), body]);
}

function int32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32LE(n);
  return b;
}

/** Whole wire messages from a stream, one at a time, each within a bound. */
function frames(stream: Duplex): { next(): Promise<Buffer>; close(): void } {
  let buffer = Buffer.alloc(0);
  let waiting: { resolve(b: Buffer): void; reject(e: Error): void; timer: NodeJS.Timeout } | undefined;
  let ended: Error | undefined;
  const take = () => {
    if (!waiting) return;
    if (buffer.length >= 4) {
      const size = buffer.readInt32LE(0);
      if (size < 16 || size > ANSWER_LIMIT) return fail(new Error(`not MongoDB's wire protocol (a message of ${size} bytes)`));
      if (buffer.length >= size) {
        const frame = buffer.subarray(0, size);
        buffer = buffer.subarray(size);
        const w = waiting;
        waiting = undefined;
        clearTimeout(w.timer);
        w.resolve(frame);
        return;
      }
    }
    if (ended) fail(ended);
  };
  const fail = (err: Error) => {
    ended = err;
    if (!waiting) return;
    const w = waiting;
    waiting = undefined;
    clearTimeout(w.timer);
    w.reject(err);
  };
  // a probe asks a few small commands (hello, a status): the answers together stay far below ANSWER_LIMIT
  onAnswer(stream, 'MongoDB', (chunk) => {
    buffer = Buffer.concat([buffer, chunk]);
    take();
  }, fail);
  stream.on('close', () => fail(new Error('MongoDB closed the connection')));
  stream.on('error', (err: Error) => fail(err));
  return {
    next: () => new Promise<Buffer>((resolve, reject) => {
      waiting = { resolve, reject, timer: setTimeout(() => fail(new Error(`no answer within ${ANSWER_MS / 1000} s`)), ANSWER_MS) };
      take();
    }),
    close: () => stream.destroy(),
  };
}
