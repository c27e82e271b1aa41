import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';

/*
 * Protocol probes for `st2prov check`, spoken over a TCP connection the host itself makes
 * (SSH direct-tcpip): what they see is what that host sees on the network.
 */

/** The status line of an HTTP request, over TLS when asked (certificates not verified: a probe of reachability). */
export function httpStatus(stream: Duplex, path: string, tls = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Duplex = tls ? tlsConnect({ socket: stream as never, rejectUnauthorized: false, servername: undefined }) : stream;
    let head = '';
    const timer = setTimeout(() => reject(new Error('no answer within 5 s')), 5000);
    socket.on('data', (chunk: Buffer) => {
      head += chunk.toString('latin1');
      const nl = head.indexOf('\r\n');
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(head.slice(0, nl));
        socket.destroy();
      }
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      if (!head.includes('\r\n')) reject(new Error('connection closed without an answer'));
    });
    socket.write(`GET ${path} HTTP/1.1\r\nHost: st2\r\nConnection: close\r\n\r\n`);
  });
}

/** Redis AUTH then PING; resolves with the server's answer to PING. */
export function redisPing(stream: Duplex, password: string): Promise<string> {
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
