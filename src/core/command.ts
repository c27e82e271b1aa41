import type { Duplex } from 'node:stream';

/** A remote command: an argument vector, quoted by the transport and nowhere else. */
export interface ExecRequest {
  argv: readonly string[];
  /** bytes fed to the command's stdin, then EOF */
  stdin?: string | Buffer;
  /** run as the become user (sudo) when the inventory asks for it; default true */
  become?: boolean;
}

export interface ExecResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Whatever opens TCP connections from a host: the bytes stay inside its SSH connection. */
export interface TcpOpener {
  withTcp<T>(host: string, port: number, use: (stream: Duplex) => Promise<T>): Promise<T>;
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
