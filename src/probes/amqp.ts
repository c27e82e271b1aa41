import type { Duplex } from 'node:stream';
import type { TcpOpener } from '../core/command.js';
import { onAnswer } from './answer.js';

export type AmqpLogin = 'ok' | 'refused' | 'no-vhost-access' | 'unreachable';

/*
 * Whether a RabbitMQ user can log in with a password and open a vhost, learned by speaking
 * AMQP 0-9-1 up to Connection.Open-Ok through the host's own TCP stack. It answers in
 * milliseconds, where every rabbitmqctl call boots an Erlang VM (seconds), and the password
 * travels inside the SSH connection, never on a command line.
 */
const FRAME_METHOD = 1;
const FRAME_END = 0xce;
const AMQP_FRAME_LIMIT = 1024 * 1024;

export async function amqpLogin(host: TcpOpener, address: string, port: number, user: string, password: string, vhost = '/'): Promise<AmqpLogin> {
  try {
    return await host.withTcp(address, port, (stream) => handshake(stream, user, password, vhost));
  } catch {
    return 'unreachable';
  }
}

function handshake(stream: Duplex, user: string, password: string, vhost: string): Promise<AmqpLogin> {
  return new Promise((resolve) => {
    let buffer = Buffer.alloc(0);
    let stage: 'start' | 'tune' | 'open' = 'start';
    const done = (result: AmqpLogin) => {
      stream.removeAllListeners('data');
      resolve(result);
    };
    const timer = setTimeout(() => done('unreachable'), 10_000);
    stream.on('close', () => {
      clearTimeout(timer);
      // RabbitMQ closes the socket on a failed login unless the client asked for a Close
      done(stage === 'start' ? 'unreachable' : stage === 'tune' ? 'refused' : 'no-vhost-access');
    });
    stream.on('error', () => undefined);
    onAnswer(stream, 'RabbitMQ', (chunk) => {
      buffer = Buffer.concat([buffer, chunk]);
      while (buffer.length >= 8) {
        const size = buffer.readUInt32BE(3);
        // RabbitMQ's frames before Open-Ok are a few hundred bytes (frame_max is 128 KiB): anything larger is not AMQP
        if (size > AMQP_FRAME_LIMIT) return done('unreachable');
        if (buffer.length < 8 + size) return;
        const type = buffer[0];
        const payload = buffer.subarray(7, 7 + size);
        buffer = buffer.subarray(8 + size);
        if (type !== FRAME_METHOD) continue;
        const method = `${payload.readUInt16BE(0)}.${payload.readUInt16BE(2)}`;
        if (method === '10.10' && stage === 'start') {
          stage = 'tune';
          stream.write(methodFrame(10, 11, Buffer.concat([table({ capabilities: { authentication_failure_close: true } }), shortstr('PLAIN'), longstr(Buffer.from(`\0${user}\0${password}`)), shortstr('en_US')])));
        } else if (method === '10.30' && stage === 'tune') {
          stage = 'open';
          const tune = Buffer.alloc(8);
          tune.writeUInt16BE(payload.readUInt16BE(4), 0);
          tune.writeUInt32BE(payload.readUInt32BE(6), 2);
          tune.writeUInt16BE(0, 6);
          stream.write(methodFrame(10, 31, tune));
          stream.write(methodFrame(10, 40, Buffer.concat([shortstr(vhost), shortstr(''), Buffer.from([0])])));
        } else if (method === '10.41') {
          clearTimeout(timer);
          done('ok');
        } else if (method === '10.50') {
          clearTimeout(timer);
          done(stage === 'open' ? 'no-vhost-access' : 'refused');
        }
      }
    }, () => {
      clearTimeout(timer);
      done('unreachable');
    });
    stream.write(Buffer.from([0x41, 0x4d, 0x51, 0x50, 0, 0, 9, 1]));
  });
}

function methodFrame(classId: number, methodId: number, args: Buffer): Buffer {
  const head = Buffer.alloc(7 + 4);
  head[0] = FRAME_METHOD;
  head.writeUInt16BE(0, 1);
  head.writeUInt32BE(4 + args.length, 3);
  head.writeUInt16BE(classId, 7);
  head.writeUInt16BE(methodId, 9);
  return Buffer.concat([head, args, Buffer.from([FRAME_END])]);
}

function shortstr(text: string): Buffer {
  const b = Buffer.from(text);
  return Buffer.concat([Buffer.from([b.length]), b]);
}

function longstr(b: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
}

type Table = { [key: string]: boolean | Table };

function table(entries: Table): Buffer {
  const parts: Buffer[] = [];
  for (const [key, value] of Object.entries(entries)) {
    parts.push(shortstr(key));
    parts.push(typeof value === 'boolean' ? Buffer.from([0x74, value ? 1 : 0]) : Buffer.concat([Buffer.from('F'), table(value)]));
  }
  return longstr(Buffer.concat(parts));
}
