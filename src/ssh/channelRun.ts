import type { ClientChannel } from 'ssh2';
import type { ExecRequest, ExecResult } from '../core/command.js';
import { BoundedOutput, OutputLimitError, OutputTail, drainInto, feed } from '../core/output.js';
import type { Secret } from '../core/secret.js';
import { sudoHandshake, type SudoMarkers } from './sudo.js';

export interface ChannelRunOptions {
  /** end stdin once it is fed (a held command keeps it open until released) */
  endStdin: boolean;
  /** the command, for a message */
  describe(): string;
  /** sudo with a password: its prompt is answered before the command's stdin flows */
  sudo?: { markers: SudoMarkers; password: Secret };
}

/**
 * One command's run on an SSH channel just opened: stdin fed (bytes, or a stream with
 * backpressure), stdout collected up to OUTPUT_LIMIT or streamed to the request's sink,
 * the end of stderr kept. Resolves when the channel closes; rejects when stdout passed the
 * limit (the channel is closed, which stops the command) or what feeds stdin or takes stdout
 * failed. Every listener is attached before the first byte can arrive.
 */
export function runOnChannel(stream: ClientChannel, request: ExecRequest, options: ChannelRunOptions): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const out = new BoundedOutput();
    const err = new OutputTail();
    let code: number | null = null;
    let failure: Error | undefined;
    let stopFeeding = () => undefined as void;
    const fail = (e: Error) => {
      failure ??= e;
      stopFeeding();
      stream.close();
    };
    const sink = request.stdout ? drainInto(stream, request.stdout, fail) : undefined;
    if (!sink) {
      stream.on('data', (chunk: Buffer) => {
        if (!out.push(chunk) && !failure) fail(new OutputLimitError(options.describe()));
      });
    }
    // a channel that fails (the connection dropped mid-transfer) closes too: its close says so
    stream.on('error', () => undefined);
    stream.on('exit', (c: number | null) => {
      code = c;
    });
    // what sudo said before giving up is heard before the result is made
    let handshake: Promise<unknown> = Promise.resolve();
    stream.on('close', (c?: number | null) => {
      stopFeeding();
      const finish = () => {
        if (failure) return reject(failure);
        resolve({ code: code ?? (typeof c === 'number' ? c : null), stdout: sink ? '' : out.text(), stderr: err.text() });
      };
      Promise.all([handshake, sink?.flushed()]).then(finish, finish);
    });
    const start = () => {
      stopFeeding = feed(request.stdin, stream, options.endStdin, fail);
    };
    if (!options.sudo) {
      stream.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      start();
      return;
    }
    handshake = sudoHandshake(stream, options.sudo.markers, options.sudo.password).then((sudo) => {
      if (sudo.said) err.push(Buffer.from(sudo.said));
      if (!sudo.started) return;
      if (sudo.rest.length) err.push(sudo.rest);
      stream.stderr.on('data', (chunk: Buffer) => err.push(chunk));
      start();
    });
  });
}
