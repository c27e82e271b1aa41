import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PassThrough, Readable, Writable } from 'node:stream';
import { BoundedOutput, OUTPUT_LIMIT, OutputTail, drainInto, feed } from '../../../src/core/output.js';

describe('what st2prov keeps of a command’s output', () => {
  it('keeps stdout whole up to the limit and says when it passed it', () => {
    const out = new BoundedOutput(10);
    assert.equal(out.push(Buffer.from('12345')), true);
    assert.equal(out.push(Buffer.from('67890')), true);
    assert.equal(out.text(), '1234567890');
    assert.equal(out.push(Buffer.from('x')), false);
    assert.equal(out.exceeded, true);
    assert.equal(out.text(), '1234567890', 'nothing past the limit is kept');
    assert.equal(OUTPUT_LIMIT, 64 * 1024 * 1024);
  });

  it('keeps the last bytes of stderr and says how many came before', () => {
    const tail = new OutputTail(8);
    for (const part of ['aaaa', 'bbbb', 'cccc', 'dd']) tail.push(Buffer.from(part));
    assert.equal(tail.text(), '[6 earlier bytes left out]\nbbccccdd');
    const short = new OutputTail(8);
    short.push(Buffer.from('ok'));
    assert.equal(short.text(), 'ok');
  });

  it('pipes a stream into stdin as fast as the reader takes it, and stops when the command ends first', async () => {
    const source = Readable.from(['one ', 'two ', 'three']);
    const stdin = new PassThrough();
    const got: Buffer[] = [];
    stdin.on('data', (c: Buffer) => got.push(c));
    feed(source, stdin, true, (err) => assert.fail(err));
    await new Promise((r) => stdin.on('end', r));
    assert.equal(Buffer.concat(got).toString(), 'one two three');

    let reads = 0;
    const endless = new Readable({ read() { reads++; this.push(Buffer.alloc(1024)); } });
    const closed = new PassThrough({ highWaterMark: 1024 });
    const stop = feed(endless, closed, true, () => undefined);
    await new Promise((r) => setImmediate(r));
    stop();
    assert.equal(endless.destroyed, true, 'a command that ended stops the reading');
    assert.ok(reads < 64, `read only what the pipe took (${reads} reads)`);
  });

  it('bytes are written to stdin once, then ended (or left open for a held command)', () => {
    const ended = new PassThrough();
    feed('abc', ended, true, () => undefined);
    assert.equal(ended.read()?.toString(), 'abc');
    assert.equal(ended.writableEnded, true);
    const open = new PassThrough();
    feed(undefined, open, false, () => undefined);
    assert.equal(open.writableEnded, false);
  });

  it('a sink that fills pauses the source until it drains, and everything arrives', async () => {
    const chunks = Array.from({ length: 20 }, (_, i) => Buffer.alloc(4096, i));
    const source = new PassThrough();
    const written: Buffer[] = [];
    const slow = new Writable({
      highWaterMark: 4096,
      write(chunk: Buffer, _enc, done) {
        written.push(chunk);
        setTimeout(done, 1);
      },
    });
    let paused = 0;
    source.on('pause', () => paused++);
    const sink = drainInto(source, slow, (err) => assert.fail(err));
    for (const c of chunks) source.write(c);
    source.end();
    await new Promise((r) => source.on('end', r));
    await sink.flushed();
    await new Promise((r) => slow.end(r));
    assert.ok(paused > 0, 'the source was paused while the sink was full');
    assert.deepEqual(Buffer.concat(written), Buffer.concat(chunks));
  });

  it('a sink that fails while the source waits for it ends the wait and says why: the command is not left hanging', async () => {
    const source = new PassThrough();
    const broken = new Writable({
      highWaterMark: 1024,
      write(_chunk, _enc, done) {
        setTimeout(() => done(new Error('no space left on device')), 5);
      },
    });
    const failures: Error[] = [];
    const sink = drainInto(source, broken, (err) => failures.push(err));
    source.write(Buffer.alloc(4096));
    source.write(Buffer.alloc(4096));
    await sink.flushed();
    assert.deepEqual(failures.map((e) => e.message), ['no space left on device']);
    source.end(Buffer.alloc(4096));
    await new Promise((r) => source.on('end', r));
    await sink.flushed();
  });
});
