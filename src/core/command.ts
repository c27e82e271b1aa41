import type { Duplex, Readable, Writable } from 'node:stream';

/** A remote command: an argument vector, quoted by the transport and nowhere else. */
export interface ExecRequest {
  argv: readonly string[];
  /**
   * fed to the command's stdin, then EOF: bytes, or a stream of any size, read only as fast
   * as the command takes it (a stream can be sent once: a request that carries one runs once)
   */
  stdin?: string | Buffer | Readable;
  /**
   * where the command's stdout goes as it comes, with backpressure, instead of being
   * collected (ExecResult.stdout is then empty): output of any size in bounded memory. The
   * caller ends the sink.
   */
  stdout?: Writable;
  /** run as the become user (sudo) when the inventory asks for it; default true */
  become?: boolean;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Whatever opens TCP connections from a host: the bytes stay inside its SSH connection. A
 * connection not made within TCP_CONNECT_MS fails: a peer that is down whole (no RST, no ICMP)
 * would otherwise hold a probe for the kernel's SYN retries, minutes.
 */
export interface TcpOpener {
  withTcp<T>(host: string, port: number, use: (stream: Duplex) => Promise<T>): Promise<T>;
}

/** Runs commands somewhere: a host over SSH, or the control machine itself (core/localExecutor.ts). */
export interface Executor extends TcpOpener {
  exec(request: ExecRequest): Promise<ExecResult>;
}

export const TCP_CONNECT_MS = 5000;

/** `opening`, or an error naming host:port once TCP_CONNECT_MS pass; a connection made too late is closed by `late`. */
export function connectWithin<S>(host: string, port: number, opening: Promise<S>, late: (stream: S) => void): Promise<S> {
  return new Promise<S>((resolve, reject) => {
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      reject(new Error(`no TCP connection to ${host}:${port} within ${TCP_CONNECT_MS / 1000} s`));
    }, TCP_CONNECT_MS);
    opening.then((stream) => {
      clearTimeout(timer);
      if (timedOut) late(stream);
      else resolve(stream);
    }, (err: unknown) => {
      clearTimeout(timer);
      if (!timedOut) reject(err);
    });
  });
}

/** POSIX shell quoting: every argument becomes one word, whatever it contains. */
export function quote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line from an argument vector; the only way st2prov builds remote commands. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quote).join(' ');
}

/**
 * A fixed shell script run with its inputs as positional parameters ("$1", "$2", ...),
 * so the script text never contains a value.
 */
export function shellScript(script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}
