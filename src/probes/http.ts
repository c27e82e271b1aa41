import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import type { TcpOpener } from '../core/command.js';
import { limitText } from '../core/sizes.js';

/*
 * Protocol probes, spoken over a TCP connection the host itself makes (SSH direct-tcpip):
 * what they see is what that host sees on the network. `check` asks them; `apply` asks
 * them about what it has just started.
 */

/** How a TLS probe checks the server: its certificate signed by this CA, for this name. */
export interface TlsVerification {
  ca: string;
  servername: string;
}

/**
 * The status line of an HTTP request from a host, over TLS when asked: certificates not
 * verified (a probe of reachability), or verified against the given CA and name.
 */
export function httpStatus(from: TcpOpener, address: string, port: number, path: string, tls: boolean | TlsVerification = false): Promise<string> {
  return from.withTcp(address, port, (stream) => statusLine(stream, path, tls));
}

function statusLine(stream: Duplex, path: string, tls: boolean | TlsVerification): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket: Duplex = tls === false ? stream
      : tls === true ? tlsConnect({ socket: stream as never, rejectUnauthorized: false, servername: undefined })
        : tlsConnect({ socket: stream as never, rejectUnauthorized: true, ca: tls.ca, servername: tls.servername });
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

export interface HttpRequest {
  method: 'GET' | 'POST';
  path: string;
  /** header name → value; values may be secrets' text: nothing here is logged */
  headers?: Record<string, string>;
  /** sent as JSON */
  body?: unknown;
}

/** The most of an answer read: what the probes ask (a token, a health check, one page) is a few KB. */
export const HTTP_ANSWER_LIMIT = 4 * 1024 * 1024;

export interface HttpResponse {
  status: number;
  body: string;
}

/**
 * One HTTP request from a host, the whole answer read: plain, or over TLS verified as given.
 * HTTP/1.0, so the answer is never chunked and the connection ends with it.
 */
export function httpRequest(from: TcpOpener, address: string, port: number, tls: TlsVerification | undefined, request: HttpRequest): Promise<HttpResponse> {
  return from.withTcp(address, port, (stream) => new Promise<HttpResponse>((resolve, reject) => {
    const socket: Duplex = tls ? tlsConnect({ socket: stream as never, rejectUnauthorized: true, ca: tls.ca, servername: tls.servername }) : stream;
    const body = request.body === undefined ? '' : JSON.stringify(request.body);
    if (Object.values(request.headers ?? {}).some((v) => /[\r\n]/.test(v))) throw new Error('an HTTP header value holds a line break');
    const headers = { Host: tls?.servername ?? address, Accept: 'application/json', ...(body ? { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) } : {}), ...request.headers };
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error('no whole answer within 15 s'));
    }, 15_000);
    let size = 0;
    socket.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= HTTP_ANSWER_LIMIT) return void chunks.push(chunk);
      clearTimeout(timer);
      socket.destroy();
      reject(new Error(`an answer of more than ${limitText(HTTP_ANSWER_LIMIT)} (the answers asked for are a few KB)`));
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    // the server's end of the answer: over an SSH channel 'close' waits for our end too
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('utf8');
      const m = /^HTTP\/\d\.\d (\d{3})[^\r\n]*\r\n/.exec(text);
      const end = text.indexOf('\r\n\r\n');
      if (!m || end < 0) reject(new Error('connection closed without an HTTP answer'));
      else resolve({ status: Number(m[1]), body: text.slice(end + 4) });
    };
    socket.once('end', done);
    socket.once('close', done);
    socket.write(`${request.method} ${request.path} HTTP/1.0\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n${body}`);
  }));
}
