import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { ClientChannel } from 'ssh2';
import { Secret } from '../../../src/core/secret.js';
import { sudoHandshake, sudoMarkers, sudoWithPassword } from '../../../src/ssh/sudo.js';

/** A channel as the handshake sees it: stderr events in, what was written to stdin out. */
function fakeChannel() {
  const channel = new EventEmitter() as EventEmitter & { stderr: EventEmitter; written: string[]; ended: boolean; write(s: string): boolean; end(): void };
  channel.stderr = new EventEmitter();
  channel.written = [];
  channel.ended = false;
  channel.write = (s: string) => (channel.written.push(s), true);
  channel.end = () => {
    channel.ended = true;
  };
  return channel;
}

describe('sudo with a password', () => {
  const markers = sudoMarkers();
  const password = new Secret('s3cret pw');

  it('runs the command through a shell that says when it starts', () => {
    const argv = sudoWithPassword(markers, 'root', ['env', 'LC_ALL=C', 'cat']);
    assert.deepEqual(argv.slice(0, 6), ['sudo', '-S', '-p', markers.prompt, '-u', 'root']);
    assert.deepEqual(argv.slice(-4), [markers.ready, 'env', 'LC_ALL=C', 'cat']);
    assert.ok(!argv.join(' ').includes('s3cret'), 'the password is never on the command line');
  });

  it('writes nothing when sudo does not ask: the command starts and its stdin is its own', async () => {
    const ch = fakeChannel();
    const outcome = sudoHandshake(ch as unknown as ClientChannel, markers, password);
    ch.stderr.emit('data', Buffer.from(`${markers.ready}first words of the command`));
    const o = await outcome;
    assert.equal(o.started, true);
    assert.deepEqual(ch.written, []);
    assert.equal(o.rest.toString(), 'first words of the command');
  });

  it('answers the prompt once, the marker split across chunks', async () => {
    const ch = fakeChannel();
    const outcome = sudoHandshake(ch as unknown as ClientChannel, markers, password);
    const half = Math.floor(markers.prompt.length / 2);
    ch.stderr.emit('data', Buffer.from(markers.prompt.slice(0, half)));
    assert.deepEqual(ch.written, []);
    ch.stderr.emit('data', Buffer.from(markers.prompt.slice(half)));
    assert.deepEqual(ch.written, ['s3cret pw\n']);
    ch.stderr.emit('data', Buffer.from(`\n${markers.ready}`));
    const o = await outcome;
    assert.equal(o.started, true);
    assert.equal(o.said.trim(), '');
  });

  it('a password asked again is wrong: stdin is closed so sudo gives up, and what sudo said is kept', async () => {
    const ch = fakeChannel();
    const outcome = sudoHandshake(ch as unknown as ClientChannel, markers, password);
    ch.stderr.emit('data', Buffer.from(markers.prompt));
    ch.stderr.emit('data', Buffer.from(`\nSorry, try again.\n${markers.prompt}`));
    assert.equal(ch.written.length, 1, 'the password is sent once');
    assert.equal(ch.ended, true);
    ch.stderr.emit('data', Buffer.from('\nsudo: no password was provided\nsudo: 1 incorrect password attempt\n'));
    ch.emit('close');
    const o = await outcome;
    assert.equal(o.started, false);
    assert.match(o.said, /Sorry, try again\.\n\nsudo: no password was provided/);
    assert.ok(!o.said.includes(markers.prompt));
  });
});
