import assert from 'node:assert/strict';
import { connect, createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { HostContext } from '../../../src/core/context.js';
import { Secret } from '../../../src/core/secret.js';
import { st2ApiKey } from '../../../src/ops/st2ApiKey.js';
import { apiKeyHash } from '../../../src/stackstorm/chatops.js';
import { BLUEPRINTS, clusterOf } from '../../harness/clusters.js';

/** st2auth and st2api on their ports, as far as the API key needs them (one server for both: the port is the only difference). */
function fakeSt2(password: string) {
  const keys = new Set<string>();
  const tokens = new Set<string>();
  const seen: string[] = [];
  const server: Server = createServer((socket) => {
    let data = '';
    socket.on('data', (chunk: Buffer) => {
      data += chunk.toString();
      const end = data.indexOf('\r\n\r\n');
      if (end < 0) return;
      const [line, ...headerLines] = data.slice(0, end).split('\r\n');
      const headers = Object.fromEntries(headerLines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      const body = data.slice(end + 4);
      if (body.length < Number(headers['content-length'] ?? 0)) return;
      const [method, path] = line!.split(' ');
      seen.push(`${method} ${path}`);
      const answer = (status: number, doc: unknown) => socket.end(`HTTP/1.1 ${status} X\r\nContent-Type: application/json\r\n\r\n${JSON.stringify(doc)}`);
      if (method === 'POST' && path === '/v1/tokens') {
        const ok = headers.authorization === `Basic ${Buffer.from(`st2admin:${password}`).toString('base64')}`;
        if (!ok) return answer(401, {});
        tokens.add('tok123');
        return answer(201, { token: 'tok123' });
      }
      if (method === 'POST' && path === '/v1/apikeys') {
        if (!tokens.has(headers['x-auth-token'] ?? '')) return answer(401, {});
        keys.add((JSON.parse(body) as { key_hash: string }).key_hash);
        return answer(201, { key_hash: '********' });
      }
      if (method === 'GET' && path!.startsWith('/v1/actions')) return answer(keys.has(apiKeyHash(headers['st2-api-key'] ?? '')) ? 200 : 401, []);
      answer(404, {});
    });
  });
  return { server, keys, seen };
}

describe('the st2 API key, registered by its hash', () => {
  const b1 = clusterOf(BLUEPRINTS(1)).members('blueprint')[0]!;
  const st2 = fakeSt2(`pa:ss w'rd`);
  const ports: number[] = [];
  let port = 0;
  const restarts: string[] = [];
  // this host as the engine gives it: a TCP channel from it (to 127.0.0.1, the fake's port), another host to act on
  const host = {
    withTcp: <T>(address: string, to: number, use: (s: never) => Promise<T>) => new Promise<T>((resolve, reject) => {
      ports.push(to);
      assert.equal(address, '127.0.0.1');
      const socket = connect(port, '127.0.0.1');
      socket.once('connect', () => use(socket as never).then(resolve, reject)).once('error', reject);
    }),
    on: async () => ({ run: async (purpose: string) => { restarts.push(purpose); return { code: 0, stdout: '', stderr: '' }; }, forget: () => undefined }),
  } as unknown as HostContext;
  const op = (password: string) => st2ApiKey({ key: new Secret('the-key'), user: 'st2admin', password: new Secret(password), usedBy: 'st2chatops', restartOn: b1 });

  before(async () => {
    await new Promise<void>((resolve) => st2.server.listen(0, '127.0.0.1', resolve));
    port = (st2.server.address() as { port: number }).port;
  });
  after(() => st2.server.close());

  it('a wrong password is refused with what to check, and nothing is registered', async () => {
    const [c] = await op('wrong').plan(host);
    await assert.rejects(c!.apply(), /st2auth refused st2admin \(HTTP 401\): is st2_auth_password the one st2 has\?/);
    assert.equal(st2.keys.size, 0);
  });

  it('registers the hash (never the key), checks the key then works, restarts st2chatops; then there is nothing to do', async () => {
    const changes = await op(`pa:ss w'rd`).plan(host);
    assert.deepEqual(changes.map((c) => c.summary), [`register the st2chatops API key with st2 (by its hash, user st2admin), then restart st2chatops on ${b1.name}`]);
    await changes[0]!.apply();
    assert.deepEqual([...st2.keys], [apiKeyHash('the-key')]);
    assert.deepEqual(restarts, ['restart st2chatops, now that its API key works']);
    assert.deepEqual(await op(`pa:ss w'rd`).plan(host), []);
    assert.ok(st2.seen.includes('POST /v1/apikeys') && st2.seen.includes('POST /v1/tokens'));
    assert.deepEqual([...new Set(ports)].sort(), [9100, 9101], 'st2auth and st2api on this host, not through the network');
  });
});
