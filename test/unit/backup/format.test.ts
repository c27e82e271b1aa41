import assert from 'node:assert/strict';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { BackupWriter, DATA_FRAME_MAX, entryStream, printable, readBackup, type ByteSource, type EntryHeader, type ReadRules } from '../../../src/backup/format.js';
import { testKey } from '../../harness/backupFiles.js';

const KEY = testKey('format');

/** A source over bytes that counts what is read of them (a reader must not read more than it checks). */
function source(bytes: Buffer): ByteSource & { read_: number } {
  const s = {
    read_: 0,
    async read(buffer: Buffer, offset: number, length: number, position: number) {
      const part = bytes.subarray(position, position + length);
      part.copy(buffer, offset);
      s.read_ += part.length;
      return { bytesRead: part.length };
    },
  };
  return s;
}

/** Rules that take every header and keep every entry's bytes. */
const keepAll = (key: Buffer | null = KEY): ReadRules => ({ manifest: () => undefined, entry: () => ({ max: Number.MAX_SAFE_INTEGER, keep: true }), ...(key ? { key } : {}) });

async function write(build: (w: BackupWriter) => Promise<void>, key = KEY): Promise<Buffer> {
  const parts: Buffer[] = [];
  const w = new BackupWriter({ write: async (p) => void parts.push(...p.map((b) => Buffer.from(b))) }, key);
  await w.start({ what: 'a test' });
  await build(w);
  await w.finish();
  return Buffer.concat(parts);
}

const sample = () => write(async (w) => {
  await w.entry({ name: 'state/secrets.json' }, Buffer.from('{"a":"b"}\n'));
  await w.entry({ name: 'dirs/opt/stackstorm/configs', mode: '0755', owner: 'root', group: 'root' });
  await w.entry({ name: 'files/opt/stackstorm/configs/big.yaml', mode: '0640', owner: 'root', group: 'st2' }, Buffer.alloc(DATA_FRAME_MAX * 2 + 7, 'y'));
});

const refused = async (bytes: Buffer, message: RegExp, rules: ReadRules = keepAll()) =>
  assert.rejects(readBackup(source(bytes), rules), (err: Error & { exitCode?: number }) => {
    assert.equal(err.exitCode, 1, err.message);
    assert.match(err.message, message);
    return true;
  });

describe('the backup format (2): frames written as they stream, read and checked in one pass', () => {
  it('round-trips a manifest and entries, a large one in several frames, with a valid MAC', async () => {
    const read = await readBackup(source(await sample()), keepAll());
    assert.deepEqual(read.manifest, { what: 'a test' });
    assert.equal(read.mac, 'valid');
    assert.deepEqual(read.entries.map((e) => [e.header.name, e.size, e.data?.length]), [
      ['state/secrets.json', 10, 10],
      ['dirs/opt/stackstorm/configs', 0, 0],
      ['files/opt/stackstorm/configs/big.yaml', DATA_FRAME_MAX * 2 + 7, DATA_FRAME_MAX * 2 + 7],
    ]);
    assert.equal(read.entries[2]!.sha256, createHash('sha256').update(Buffer.alloc(DATA_FRAME_MAX * 2 + 7, 'y')).digest('hex'));
  });

  it('starts with a line naming its format, then the manifest frame', async () => {
    const bytes = await sample();
    assert.equal(bytes.subarray(0, 17).toString('latin1'), 'st2prov-backup 2\n');
    assert.equal(String.fromCharCode(bytes[17]!), 'M');
  });

  it('streams an entry of unknown size: chunks of any size become frames of at most 1 MiB; the trailer comes at its end', async () => {
    const chunks = [randomBytes(10), randomBytes(DATA_FRAME_MAX + 3), randomBytes(5), randomBytes(3 * DATA_FRAME_MAX)];
    let written = -1;
    const bytes = await write(async (w) => {
      const sink = w.entryStream({ name: 'mongodb/st2.archive.gz' }, (n) => (written = n));
      for (const c of chunks) if (!sink.write(c)) await new Promise((r) => sink.once('drain', r));
      sink.end();
      await new Promise((r, j) => sink.once('finish', r).once('error', j));
    });
    const all = Buffer.concat(chunks);
    assert.equal(written, all.length);
    const read = await readBackup(source(bytes), keepAll());
    assert.ok(read.entries[0]!.data!.equals(all));
    // each data frame's length is at most 1 MiB
    let at = 17;
    const lengths: number[] = [];
    while (at < bytes.length) {
      const length = bytes.readUInt32BE(at + 1);
      if (bytes[at] === 0x44) lengths.push(length);
      at += 5 + length;
    }
    assert.ok(lengths.length >= 4 && lengths.every((n) => n > 0 && n <= DATA_FRAME_MAX), String(lengths));
    // read again from its header frame, as restore sends the dump: the same bytes
    const again: Buffer[] = [];
    for await (const c of entryStream(source(bytes), read.entries[0]!.at, { name: 'mongodb/st2.archive.gz', size: all.length, sha256: read.entries[0]!.sha256 })) again.push(c as Buffer);
    assert.ok(Buffer.concat(again).equals(all));
  });

  it('reading again fails when the file changed since it was verified', async () => {
    const bytes = await write(async (w) => w.entry({ name: 'mongodb/st2.archive.gz' }, Buffer.from('dump bytes')));
    const read = await readBackup(source(bytes), keepAll());
    const changed = Buffer.from(bytes);
    changed[changed.indexOf('dump bytes') + 2] ^= 1;
    const stream = entryStream(source(changed), read.entries[0]!.at, { name: 'mongodb/st2.archive.gz', size: 10, sha256: read.entries[0]!.sha256 });
    await assert.rejects(async () => {
      for await (const _ of stream) void _;
    }, /the backup file changed since it was verified/);
  });

  it('a MAC under another key is invalid; without a key it is unchecked', async () => {
    const bytes = await sample();
    assert.equal((await readBackup(source(bytes), keepAll(testKey('another')))).mac, 'invalid');
    assert.equal((await readBackup(source(bytes), keepAll(null))).mac, 'unchecked');
  });

  it('an altered entry with its digest made again (what a forger without the key can do) fails the MAC', async () => {
    const bytes = await write(async (w) => w.entry({ name: 'state/secrets.json' }, Buffer.from('{"a":"b"}')));
    // the forger rewrites the same file with their own key: frames and digests are right, the MAC is theirs
    const forged = await write(async (w) => w.entry({ name: 'state/secrets.json' }, Buffer.from('{"a":"X"}')), testKey('forger'));
    assert.equal(forged.length, bytes.length);
    assert.equal((await readBackup(source(forged), keepAll())).mac, 'invalid');
    // and with our MAC copied over theirs
    const spliced = Buffer.concat([forged.subarray(0, forged.length - 32), bytes.subarray(bytes.length - 32)]);
    assert.equal((await readBackup(source(spliced), keepAll())).mac, 'invalid');
  });

  it('refuses a file that is not a backup, and format 1 (no MAC, read whole) with the remedy', async () => {
    for (const bytes of [Buffer.from('[controller]\nc1\n'), gzipSync('st2prov-backup 2\n{}'), Buffer.alloc(0), Buffer.alloc(4096)]) await refused(bytes, /^is not an st2prov backup$/);
    await refused(Buffer.from('st2prov-backup 1\n'), /^is an st2prov backup of format 1, which this st2prov does not restore: format 1 carries no MAC/);
    await refused(Buffer.from('st2prov-backup 7\n'), /format 7; this st2prov reads format 2/);
    await refused(Buffer.from('st2prov-backup \x1b[2J\n'), /format \\u001b\[2J|is not an st2prov backup/);
  });

  it('refuses a file cut anywhere, and bytes after its MAC', async () => {
    const bytes = await sample();
    for (const cut of [17, 18, 22, 40, 200, DATA_FRAME_MAX, bytes.length - 33, bytes.length - 1]) await refused(bytes.subarray(0, cut), /is a damaged st2prov backup: .*cut short/);
    await refused(Buffer.concat([bytes, Buffer.from('x')]), /bytes follow its MAC/);
  });

  it('refuses a flipped byte in an entry: its checksum', async () => {
    const bytes = Buffer.from(await sample());
    bytes[bytes.indexOf('yyyy') + 100] ^= 0xff;
    await refused(bytes, /"files\/opt\/stackstorm\/configs\/big\.yaml" does not match its checksum/);
  });

  it('refuses frames out of place, of unknown kinds, or longer than their kind holds, before reading their payload', async () => {
    const head = Buffer.from('st2prov-backup 2\n');
    const frame = (type: string, payload: Buffer | string, length?: number) => {
      const h = Buffer.alloc(5);
      h.write(type, 0, 'latin1');
      h.writeUInt32BE(length ?? Buffer.byteLength(payload), 1);
      return Buffer.concat([h, Buffer.from(payload)]);
    };
    const manifest = frame('M', '{}');
    await refused(Buffer.concat([head, frame('E', '{"name":"state/x"}')]), /does not start with its manifest/);
    await refused(Buffer.concat([head, manifest, frame('D', 'abc')]), /out of place/);
    await refused(Buffer.concat([head, manifest, frame('Q', 'abc')]), /unknown kind \(0x51\)/);
    // a frame that says it is 4 GB: refused from its 5 bytes, nothing more is read
    const huge = source(Buffer.concat([head, manifest, frame('E', '{"name":"state/x"}'), frame('D', Buffer.alloc(64), 0xfffffff0), Buffer.alloc(1 << 20)]));
    await assert.rejects(readBackup(huge, keepAll()), /says it is 4294967280 bytes long/);
    assert.ok(huge.read_ < 200, `read ${huge.read_} bytes`);
    await refused(Buffer.concat([head, frame('M', Buffer.alloc(70_000, 0x20))]), /says it is 70000 bytes long/);
    await refused(Buffer.concat([head, manifest, frame('E', 'not json')]), /an entry’s header does not parse/);
    await refused(Buffer.concat([head, manifest, frame('E', '{"name":"state/x"}'), frame('F', '{"size":0}')]), /trailer lacks its size or digest/);
    await refused(Buffer.concat([head, manifest, frame('Z', '{"entries":3}')]), /its end does not count the 0 entries/);
  });

  it('refuses an entry larger than its kind may be as soon as it passes the bound: the rest is not read', async () => {
    const bytes = await write(async (w) => w.entry({ name: 'state/secrets.json' }, Buffer.alloc(8 * DATA_FRAME_MAX)));
    const counted = source(bytes);
    await assert.rejects(readBackup(counted, { ...keepAll(), entry: () => ({ max: 1000, keep: true }) }), /entry "state\/secrets\.json" is larger than a backup holds \(over 1000 bytes\)/);
    assert.ok(counted.read_ < 2 * DATA_FRAME_MAX, `read ${counted.read_} bytes of ${bytes.length}`);
  });

  it('a gzip bomb after the first line is refused at its first frame (nothing is inflated)', async () => {
    const bomb = gzipSync(Buffer.alloc(16 << 20));
    for (const head of ['st2prov-backup 1\n', 'st2prov-backup 2\n']) {
      const counted = source(Buffer.concat([Buffer.from(head), bomb]));
      await assert.rejects(readBackup(counted, keepAll()), (err: Error) => /format 1|unknown kind \(0x1f\)/.test(err.message));
      assert.ok(counted.read_ < 128, `read ${counted.read_} bytes`);
    }
  });

  it('the rules see the manifest before any entry and each header before its bytes', async () => {
    const seen: string[] = [];
    await assert.rejects(readBackup(source(await sample()), {
      key: KEY,
      manifest: (m) => void seen.push(`manifest ${JSON.stringify(m)}`),
      entry: (h: EntryHeader) => {
        seen.push(h.name);
        if (h.name.startsWith('files/')) throw new Error('refused by the rules');
        return { max: 100, keep: true };
      },
    }), /refused by the rules/);
    assert.deepEqual(seen, ['manifest {"what":"a test"}', 'state/secrets.json', 'dirs/opt/stackstorm/configs', 'files/opt/stackstorm/configs/big.yaml']);
  });

  it('the MAC covers every byte before it (the format line and every frame head included)', async () => {
    const bytes = await sample();
    const mac = createHmac('sha256', KEY).update(bytes.subarray(0, bytes.length - 37)).digest();
    assert.ok(mac.equals(bytes.subarray(bytes.length - 32)));
  });
});

describe('names in messages', () => {
  it('escape control characters, separators, bidirectional overrides, lone surrogates, quotes and backslashes', () => {
    assert.equal(printable('a\x1b[31mred\n\u202e\u2028"\\\ud800z\x7f\x9b'), 'a\\x1b[31mred\\x0a\\u202e\\u2028\\"\\\\\\ud800z\\x7f\\x9b');
    assert.equal(printable('/opt/stackstorm/configs/aws é中.yaml'), '/opt/stackstorm/configs/aws é中.yaml');
  });
});
