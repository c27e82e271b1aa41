import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { amqpLogin } from '../../../src/probes/amqp.js';
import { httpRequest } from '../../../src/probes/http.js';
import { redisCommands } from '../../../src/probes/redis.js';

/** A server on a free loopback port that answers every connection with `answer`. */
async function serving(answer: (socket: Socket) => void): Promise<{ port: number; server: Server }> {
  const server = createServer((socket) => {
    socket.on('error', () => undefined);
    answer(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, server };
}

/** Bytes the endless answers wrote, all connections together. */
let written = 0;

/** Writes a chunk of 64 KiB whenever the socket takes one, until it is closed: an answer without end. */
const endless = (head: string) => (socket: Socket) => {
  const chunk = Buffer.alloc(64 * 1024, 'x');
  socket.write(head);
  const more = () => {
    while (!socket.destroyed && socket.writable && socket.write(chunk)) written += chunk.length;
  };
  socket.on('drain', more);
  more();
};

describe('a probe reads a bounded answer: a server that never stops talking fails it, it does not fill memory', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));

  it('HTTP: an answer past 4 MiB', async () => {
    const { port, server } = await serving(endless('HTTP/1.0 200 OK\r\n\r\n'));
    servers.push(server);
    await assert.rejects(httpRequest(localExecutor, '127.0.0.1', port, undefined, { method: 'GET', path: '/' }), /an answer of more than 4 MiB/);
  });

  it('Redis: replies past 1 MiB', async () => {
    const { port, server } = await serving(endless('$999999999\r\n'));
    servers.push(server);
    await assert.rejects(redisCommands(localExecutor, '127.0.0.1', port, [['PING']]), /replies of more than 1 MiB/);
  });

  it('AMQP: a frame larger than RabbitMQ sends is not AMQP', async () => {
    const header = Buffer.from([1, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
    const { port, server } = await serving((socket) => socket.once('data', () => endless(header.toString('latin1'))(socket)));
    servers.push(server);
    written = 0;
    assert.equal(await amqpLogin(localExecutor, '127.0.0.1', port, 'st2', 'pw'), 'unreachable');
    // what the sockets' buffers take on loopback (tcp_wmem and tcp_rmem, a few MB), not what a reader that kept reading takes
    assert.ok(written < 16 * 1024 * 1024, `the probe stopped reading at the frame's header (${written} bytes were sent by then)`);
  });
});
