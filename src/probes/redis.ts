import type { Duplex } from 'node:stream';
import type { TcpOpener } from '../core/command.js';
import { onAnswer } from './answer.js';

/** Redis AUTH then PING from a host; resolves with the server's answer to PING (or to AUTH when refused), as its line: "+PONG", "-WRONGPASS …". */
export async function redisPing(from: TcpOpener, address: string, port: number, password: string): Promise<string> {
  const [auth, ping] = await redisCommands(from, address, port, [['AUTH', password], ['PING']]);
  const line = (r: RedisReply | undefined) => (r !== null && typeof r === 'object' && 'error' in r ? `-${r.error}` : `+${String(r)}`);
  return line(auth !== null && typeof auth === 'object' && 'error' in auth ? auth : ping);
}

/** A reply of RESP2: a status or error line, a number, a bulk string (null when absent) or an array of replies. */
export type RedisReply = string | number | null | RedisReply[] | { error: string };

/** Several commands in one connection from a host (pipelined); resolves with every reply, in order. */
export function redisCommands(from: TcpOpener, address: string, port: number, commands: readonly (readonly string[])[]): Promise<RedisReply[]> {
  return from.withTcp(address, port, (stream) => pipeline(stream, commands));
}

function pipeline(stream: Duplex, commands: readonly (readonly string[])[]): Promise<RedisReply[]> {
  return new Promise((resolve, reject) => {
    let buffer = Buffer.alloc(0);
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    onAnswer(stream, 'Redis', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      const replies: RedisReply[] = [];
      let at = 0;
      while (replies.length < commands.length) {
        const parsed = parseReply(buffer, at);
        if (!parsed) return;
        replies.push(parsed[0]);
        at = parsed[1];
      }
      clearTimeout(timer);
      resolve(replies);
      stream.destroy();
    }, (err) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('error', (err: Error) => {
      clearTimeout(timer);
      reject(err);
    });
    stream.on('close', () => {
      clearTimeout(timer);
      reject(new Error('Redis closed the connection'));
    });
    const bulk = (parts: readonly string[]) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    stream.write(commands.map(bulk).join(''));
  });
}

/** One reply from `at`, and where the next starts; undefined while it has not all arrived. */
function parseReply(b: Buffer, at: number): [RedisReply, number] | undefined {
  const nl = b.indexOf('\r\n', at);
  if (nl < 0) return undefined;
  const line = b.toString('utf8', at + 1, nl);
  switch (String.fromCharCode(b[at]!)) {
    case '+': return [line, nl + 2];
    case '-': return [{ error: line }, nl + 2];
    case ':': return [Number(line), nl + 2];
    case '$': {
      const len = Number(line);
      if (len < 0) return [null, nl + 2];
      if (b.length < nl + 2 + len + 2) return undefined;
      return [b.toString('utf8', nl + 2, nl + 2 + len), nl + 2 + len + 2];
    }
    case '*': {
      const count = Number(line);
      if (count < 0) return [null, nl + 2];
      const items: RedisReply[] = [];
      let next = nl + 2;
      for (let i = 0; i < count; i++) {
        const item = parseReply(b, next);
        if (!item) return undefined;
        items.push(item[0]);
        next = item[1];
      }
      return [items, next];
    }
    default: throw new Error(`not a Redis reply: ${JSON.stringify(b.toString('latin1', at, Math.min(b.length, at + 40)))}`);
  }
}

/** A flat [key, value, key, value] reply (SENTINEL MASTER, ROLE's fields) as a record. */
export function fields(reply: RedisReply): Record<string, string> {
  if (!Array.isArray(reply)) return {};
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) out[String(reply[i])] = String(reply[i + 1]);
  return out;
}
