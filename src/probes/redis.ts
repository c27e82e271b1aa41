import type { Duplex } from 'node:stream';
import type { TcpOpener } from '../core/command.js';

/** Redis AUTH then PING from a host; resolves with the server's answer to PING (or to AUTH when refused). */
export function redisPing(from: TcpOpener, address: string, port: number, password: string): Promise<string> {
  return from.withTcp(address, port, (stream) => authAndPing(stream, password));
}

function authAndPing(stream: Duplex, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = '';
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    stream.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const lines = buffer.split('\r\n');
      if (lines.length >= 3) {
        clearTimeout(timer);
        resolve(lines[0]!.startsWith('-') ? lines[0]! : lines[1]!);
        stream.destroy();
      }
    });
    stream.on('error', reject);
    const bulk = (parts: string[]) => `*${parts.length}\r\n${parts.map((p) => `$${Buffer.byteLength(p)}\r\n${p}\r\n`).join('')}`;
    stream.write(bulk(['AUTH', password]) + bulk(['PING']));
  });
}
