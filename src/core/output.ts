import type { Readable, Writable } from 'node:stream';
import type { ExecRequest, ExecResult } from './command.js';
import { RemoteCommandError } from './errors.js';

/*
 * What st2prov keeps of a command's output, whatever the command prints. stdout is data
 * (facts, listings): kept whole up to OUTPUT_LIMIT, and a command that prints more fails
 * there, stopped, instead of growing memory until Node's string limit crashes the run. What
 * may be larger (a database dump) is streamed to a sink instead (ExecRequest.stdout). stderr
 * is for messages: its last STDERR_KEPT bytes are kept, with a note of what came before.
 */

/** The most of one command's stdout held in memory; file facts above FILE_CONTENT_LIMIT are read by digest to stay far below it. */
export const OUTPUT_LIMIT = 64 * 1024 * 1024;
/** The end of a command's stderr kept for its error message. */
export const STDERR_KEPT = 64 * 1024;

/** A command printed more than OUTPUT_LIMIT on stdout: it was stopped and fails. */
export class OutputLimitError extends RemoteCommandError {
  constructor(command: string) {
    super(command, null, `it printed more than ${OUTPUT_LIMIT / 1024 / 1024} MiB on stdout, the most st2prov reads of one command; it was stopped`);
    this.name = 'OutputLimitError';
  }
}

/** stdout collected up to a limit. */
export class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly limit = OUTPUT_LIMIT) {}

  /** false once the output passed the limit: the caller stops the command */
  push(chunk: Buffer): boolean {
    this.size += chunk.length;
    if (this.size > this.limit) return false;
    this.chunks.push(chunk);
    return true;
  }

  get exceeded(): boolean {
    return this.size > this.limit;
  }

  bytes(): Buffer {
    return Buffer.concat(this.chunks);
  }

  text(): string {
    return this.bytes().toString();
  }
}

/** The last `keep` bytes of a stream, and how many came before them. */
export class OutputTail {
  private chunks: Buffer[] = [];
  private held = 0;
  private dropped = 0;

  constructor(private readonly keep = STDERR_KEPT) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.held += chunk.length;
    while (this.held - this.chunks[0]!.length >= this.keep) {
      const first = this.chunks.shift()!;
      this.held -= first.length;
      this.dropped += first.length;
    }
  }

  text(): string {
    const all = Buffer.concat(this.chunks);
    const cut = Math.max(0, all.length - this.keep);
    const dropped = this.dropped + cut;
    return `${dropped ? `[${dropped} earlier bytes left out]\n` : ''}${all.subarray(cut).toString()}`;
  }
}

/**
 * Feeds a command's stdin: bytes, or a stream piped with backpressure (read only as fast as
 * the command takes it). Returns a function that stops feeding (the command ended first).
 */
export function feed(input: string | Buffer | Readable | undefined, stdin: Writable, end: boolean, failed: (err: Error) => void): () => void {
  stdin.on('error', () => undefined); // a command that exits without reading all of it: not our failure
  if (input === undefined || typeof input === 'string' || Buffer.isBuffer(input)) {
    if (input !== undefined && input.length) stdin.write(input);
    if (end) stdin.end();
    return () => undefined;
  }
  input.once('error', failed);
  input.pipe(stdin, { end });
  return () => {
    input.unpipe(stdin);
    input.destroy();
  };
}

/**
 * Writes a command's stdout to a sink as it comes: the source pauses while the sink is full
 * (over SSH: the channel's window is not reopened, so the host waits), and `flushed` resolves
 * once everything written has left for the sink, or the sink is gone (it failed, or closed):
 * a sink that failed never drains, and its error ends the command through `failed`.
 */
export function drainInto(source: Readable, sink: Writable, failed: (err: Error) => void): { flushed: () => Promise<void> } {
  let pending = Promise.resolve();
  let gone = false;
  let wake = () => undefined as void;
  const goneNow = () => {
    gone = true;
    wake();
  };
  sink.once('error', (err: Error) => {
    goneNow();
    failed(err);
  });
  sink.once('close', goneNow);
  source.on('data', (chunk: Buffer) => {
    if (gone) return;
    if (!sink.write(chunk) && !gone) {
      source.pause();
      pending = new Promise((resolve) => {
        const resume = () => {
          sink.off('drain', resume);
          wake = () => undefined;
          source.resume();
          resolve();
        };
        wake = resume;
        sink.once('drain', resume);
      });
    }
  });
  return { flushed: () => pending };
}

/**
 * One command's run, on whatever carries it (an SSH channel, a local child process): stdin
 * fed, stdout collected within OUTPUT_LIMIT or streamed to the request's sink, stderr's tail
 * kept, and the first failure (stdout past the limit, a sink or a stdin stream that failed)
 * remembered and `stop` called once, which must end the command. `result` gives what the
 * command left, once it ended, and rejects with that failure.
 */
export class CommandRun {
  readonly stderr = new OutputTail();
  private readonly out = new BoundedOutput();
  private readonly sink: { flushed: () => Promise<void> } | undefined;
  private failure: Error | undefined;
  private stopFeeding = () => undefined as void;

  constructor(stdout: Readable, private readonly request: ExecRequest, describe: () => string, private readonly stop: () => void) {
    this.sink = request.stdout ? drainInto(stdout, request.stdout, (e) => this.fail(e)) : undefined;
    if (!this.sink) {
      stdout.on('data', (chunk: Buffer) => {
        if (!this.out.push(chunk)) this.fail(new OutputLimitError(describe()));
      });
    }
  }

  /** Feeds the request's stdin (ended, or left open for a held command). */
  feed(stdin: Writable, end: boolean): void {
    this.stopFeeding = feed(this.request.stdin, stdin, end, (e) => this.fail(e));
  }

  fail(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.stopFeeding();
    this.stop();
  }

  /** The command ended with `code`: what it printed, once the sink has it all. */
  async result(code: number | null): Promise<ExecResult> {
    this.stopFeeding();
    await this.sink?.flushed();
    if (this.failure) throw this.failure;
    return { code, stdout: this.sink ? '' : this.out.text(), stderr: this.stderr.text() };
  }
}
