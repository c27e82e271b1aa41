import type { ClientChannel } from 'ssh2';
import type { ExecRequest, ExecResult } from '../core/command.js';
import { CommandRun } from '../core/output.js';
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
    const run = new CommandRun(stream, request, options.describe, () => stream.close());
    let code: number | null = null;
    // a channel that fails (the connection dropped mid-transfer) closes too: its close says so
    stream.on('error', () => undefined);
    stream.on('exit', (c: number | null) => {
      code = c;
    });
    // what sudo said before giving up is heard before the result is made
    let handshake: Promise<unknown> = Promise.resolve();
    stream.on('close', (c?: number | null) => {
      handshake.then(() => run.result(code ?? (typeof c === 'number' ? c : null))).then(resolve, reject);
    });
    const start = () => {
      stream.stderr.on('data', (chunk: Buffer) => run.stderr.push(chunk));
      run.feed(stream, options.endStdin);
    };
    if (!options.sudo) return start();
    handshake = sudoHandshake(stream, options.sudo.markers, options.sudo.password).then((sudo) => {
      if (sudo.said) run.stderr.push(Buffer.from(sudo.said));
      if (!sudo.started) return;
      if (sudo.rest.length) run.stderr.push(sudo.rest);
      start();
    });
  });
}
