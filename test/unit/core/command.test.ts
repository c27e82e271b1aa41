import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { commandLine, connectWithin, quote, TCP_CONNECT_MS } from '../../../src/core/command.js';

describe('shell quoting', () => {
  it('keeps every argument one word whatever it contains', () => {
    assert.equal(quote('plain-arg_1.conf'), 'plain-arg_1.conf');
    assert.equal(quote(''), "''");
    assert.equal(quote("it's $(rm -rf /) `x` \"y\" ; | & \n"), `'it'\\''s $(rm -rf /) \`x\` "y" ; | & \n'`);
    assert.equal(commandLine(['echo', 'a b', '*']), "echo 'a b' '*'");
  });
});

describe('a TCP connection made within its bound', () => {
  it('fails naming host:port once the bound passes, and closes a connection made too late', async (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    let open!: (s: string) => void;
    const closed: string[] = [];
    const attempt = connectWithin('10.0.0.9', 5672, new Promise<string>((r) => { open = r; }), (s) => closed.push(s));
    t.mock.timers.tick(TCP_CONNECT_MS);
    await assert.rejects(attempt, { message: `no TCP connection to 10.0.0.9:5672 within ${TCP_CONNECT_MS / 1000} s` });
    open('stream');
    await Promise.resolve();
    assert.deepEqual(closed, ['stream']);
  });

  it('gives the connection, or its own error, when either comes first', async () => {
    assert.equal(await connectWithin('h', 1, Promise.resolve('s'), () => assert.fail('not late')), 's');
    await assert.rejects(connectWithin('h', 1, Promise.reject(new Error('refused')), () => undefined), { message: 'refused' });
  });
});
