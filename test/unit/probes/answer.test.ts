import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { after, describe, it } from 'node:test';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { amqpLogin } from '../../../src/probes/amqp.js';
import { mongoCommands } from '../../../src/probes/mongo.js';
import { httpStatus } from '../../../src/probes/http.js';
import { redisCommands, redisPing } from '../../../src/probes/redis.js';
import { zookeeperMode } from '../../../src/probes/zookeeper.js';

/** A server on loopback that answers every connection with `answer`. */
async function server(answer: (socket: Socket) => void): Promise<{ port: number; server: Server }> {
  const s = createServer((socket) => {
    socket.on('error', () => undefined);
    answer(socket);
  });
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  return { port: (s.address() as { port: number }).port, server: s };
}

/** Writes bytes without end, as fast as the reader takes them, until the reader goes. */
function endless(fill: number) {
  return (socket: Socket) => {
    const chunk = Buffer.alloc(64 * 1024, fill);
    const pump = () => {
      while (!socket.destroyed && socket.write(chunk));
      if (!socket.destroyed) socket.once('drain', pump);
    };
    pump();
  };
}

describe('probes read bounded answers and survive garbage', () => {
  const servers: Server[] = [];
  after(() => servers.forEach((s) => s.close()));
  const start = async (answer: (socket: Socket) => void) => {
    const s = await server(answer);
    servers.push(s.server);
    return s.port;
  };

  it('an HTTP server that never ends its status line is cut off after 1 MiB', async () => {
    const port = await start(endless(0x41));
    await assert.rejects(httpStatus(localExecutor, '127.0.0.1', port, '/'), /HTTP answered more than 1024 KiB/);
  });

  it('a Redis server that answers garbage or without end fails the probe, not the run', async () => {
    const garbage = await start((s) => s.end('!not redis\r\n'));
    await assert.rejects(redisCommands(localExecutor, '127.0.0.1', garbage, [['PING']]), /not a Redis reply/);
    const flood = await start((s) => {
      s.write('$999999999\r\n');
      endless(0x42)(s);
    });
    await assert.rejects(redisCommands(localExecutor, '127.0.0.1', flood, [['PING']]), /Redis answered more than/);
    await assert.rejects(redisPing(localExecutor, '127.0.0.1', flood, 'pw'), /Redis answered more than/);
  });

  it('an AMQP peer that announces a 4 GB frame is not RabbitMQ', async () => {
    const port = await start((s) => {
      s.write(Buffer.from([1, 0, 0, 0xff, 0xff, 0xff, 0xff]));
      endless(0x43)(s);
    });
    assert.equal(await amqpLogin(localExecutor, '127.0.0.1', port, 'st2', 'pw', '/'), 'unreachable');
  });

  it('a MongoDB peer that announces a huge message, or talks without end, fails the probe', async () => {
    const huge = await start((s) => {
      const head = Buffer.alloc(4);
      head.writeInt32LE(40 * 1024 * 1024);
      s.write(head);
      endless(0x45)(s);
    });
    await assert.rejects(mongoCommands(localExecutor, '127.0.0.1', huge, []), /not MongoDB's wire protocol \(a message of 41943040 bytes\)|MongoDB answered more than/);
  });

  it('a ZooKeeper peer that talks without end is cut off', async () => {
    const port = await start(endless(0x44));
    await assert.rejects(zookeeperMode(localExecutor, '127.0.0.1', port), /ZooKeeper answered more than/);
  });
});
