import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connectWithin, type ExecRequest, type ExecResult, type Executor } from './command.js';
import { BoundedOutput, OutputLimitError, OutputTail, drainInto, feed } from './output.js';

/** Commands and connections of the control machine itself, for plays on "localhost". */
export const localExecutor: Executor = {
  exec(request: ExecRequest): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const [cmd, ...args] = request.argv;
      const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      const out = new BoundedOutput();
      const err = new OutputTail();
      let failure: Error | undefined;
      const fail = (e: Error) => {
        failure ??= e;
        stopFeeding();
        child.kill('SIGTERM');
      };
      const sink = request.stdout ? drainInto(child.stdout, request.stdout, fail) : undefined;
      if (!sink) {
        child.stdout.on('data', (c: Buffer) => {
          if (!out.push(c) && !failure) fail(new OutputLimitError(`running ${cmd}`));
        });
      }
      child.stderr.on('data', (c: Buffer) => err.push(c));
      child.on('error', (e) => err.push(Buffer.from(e.message)));
      child.on('close', (code) => {
        stopFeeding();
        const finish = () => (failure ? reject(failure) : resolve({ code, stdout: sink ? '' : out.text(), stderr: err.text() }));
        (sink ? sink.flushed() : Promise.resolve()).then(finish, finish);
      });
      const stopFeeding = feed(request.stdin, child.stdin, true, fail);
    });
  },
  async withTcp<T>(host: string, port: number, use: (stream: Duplex) => Promise<T>): Promise<T> {
    const socket = await connectWithin(host, port, new Promise<Socket>((resolve, reject) => {
      const s = connect({ host, port }, () => resolve(s));
      s.on('error', reject);
    }), (late) => late.destroy());
    try {
      return await use(socket);
    } finally {
      socket.destroy();
    }
  },
};
