import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connectWithin, type ExecRequest, type ExecResult, type Executor } from './command.js';
import { CommandRun } from './output.js';

/** Commands and connections of the control machine itself, for plays on "localhost". */
export const localExecutor: Executor = {
  exec(request: ExecRequest): Promise<ExecResult> {
    return new Promise((resolve, reject) => {
      const [cmd, ...args] = request.argv;
      const child = spawn(cmd!, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LC_ALL: 'C' } });
      const run = new CommandRun(child.stdout, request, () => `running ${cmd}`, () => child.kill('SIGTERM'));
      child.stderr.on('data', (c: Buffer) => run.stderr.push(c));
      child.on('error', (e) => run.stderr.push(Buffer.from(e.message)));
      child.on('close', (code) => run.result(code).then(resolve, reject));
      run.feed(child.stdin, true);
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
