import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, symlinkSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { quote, shellScript, type ExecRequest, type Executor } from '../../../src/core/command.js';
import type { ClusterHost, ClusterView, Vault } from '../../../src/core/context.js';
import { RemoteCommandError } from '../../../src/core/errors.js';
import { fact, type Fact } from '../../../src/core/fact.js';
import { EngineHost } from '../../../src/engine/engineHost.js';
import { localExecutor } from '../../../src/core/localExecutor.js';
import { countingExecutor } from '../../harness/countingExecutor.js';
import { FILES_READ_BUDGET, FILE_CONTENT_LIMIT, FileTooLarge, READ_FILE, fileState, fileText, parseFileState, pathState } from '../../../src/facts/files.js';

const host = { name: 'h', settings: {} } as unknown as ClusterHost;
const engineHost = (executor: Executor) => new EngineHost(host, executor, {} as Vault, {} as ClusterView);

/** The value a fact has, or the error reading it gave (to compare both the same way). */
async function outcome<T>(ctx: EngineHost, f: Fact<T>): Promise<T | { error: string; code: number | null; stderr: string }> {
  try {
    return await ctx.fact(f);
  } catch (err) {
    const e = err as RemoteCommandError;
    return { error: e.message, code: e.code, stderr: e.stderr };
  }
}

/** How a file was read before files were read together: one READ_FILE per file. */
const fileAlone = (path: string) =>
  fact(`alone:${path}`, shellScript(READ_FILE, [path]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading ${path}`, r.code, r.stderr);
    return parseFileState(r.stdout);
  });

describe('files and paths read together', () => {
  const dir = mkdtempSync(join(tmpdir(), 'st2prov-files-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const at = (name: string) => join(dir, name);
  writeFileSync(at('plain'), 'a = 1\nb = 2\n');
  writeFileSync(at('no-newline'), 'last line without one');
  writeFileSync(at('empty'), '');
  writeFileSync(at('framed'), '\n@@0123456789abcdef\n\n@@0123456789abcdef 0 \n@@ looks like a frame\n');
  writeFileSync(at('private'), 'secret\n');
  chmodSync(at('private'), 0o600);
  writeFileSync(at('it has spaces, $(and) `quotes` \'"'), 'odd name\n');
  mkdirSync(at('folder'));
  symlinkSync(at('plain'), at('link'));
  symlinkSync(at('nowhere'), at('dangling'));
  const files = ['plain', 'no-newline', 'empty', 'framed', 'private', 'it has spaces, $(and) `quotes` \'"', 'folder', 'link', 'dangling', 'missing', 'no-folder/missing'].map(at);

  it('each file is what READ_FILE alone says (content, mode, owner, missing, missing folder, not a regular file), in one command', async () => {
    const executor = countingExecutor();
    const ctx = engineHost(executor);
    await ctx.prefetch(files.map(fileState));
    assert.equal(executor.commands.length, 1, 'one command for all the files');
    const alone = engineHost(localExecutor);
    for (const f of files) assert.deepEqual(await outcome(ctx, fileState(f)), await outcome(alone, fileAlone(f)), f);
    assert.equal(executor.commands.length, 1, 'every file answered by it');
    const folder = await outcome(ctx, fileState(at('folder')));
    assert.match(JSON.stringify(folder), /exit 3.*not a regular file/, 'a folder is refused as a file, with its own stderr');
  });

  /** This machine's shell with the tools READ_FILES starts counted (and cat doing `afterCat` once), and that count. */
  const shimmed = (afterCat = '') => {
    const shim = mkdtempSync(join(tmpdir(), 'st2prov-shim-'));
    const log = join(shim, 'started');
    for (const tool of ['stat', 'cat', 'base64', 'mktemp', 'rm', 'dirname']) {
      const extra = tool === 'cat' && afterCat ? `[ -e ${shim}/done ] || { : >${shim}/done; ${afterCat}; }\n` : '';
      writeFileSync(join(shim, tool), `#!/bin/sh\necho ${tool} >>${log}\n/usr/bin/${tool} "$@"\nrc=$?\n${extra}exit $rc\n`, { mode: 0o755 });
    }
    const executor: Executor = {
      exec: (r: ExecRequest) => localExecutor.exec({ ...r, argv: ['env', `PATH=${shim}:${process.env.PATH}`, ...r.argv] }),
      withTcp: localExecutor.withTcp.bind(localExecutor),
    };
    return { ctx: engineHost(executor), started: () => readFileSync(log, 'utf8').split('\n').filter(Boolean), done: () => rmSync(shim, { recursive: true, force: true }) };
  };

  it('many files cost a few processes, not two a file', async () => {
    const many = Array.from({ length: 12 }, (_v, i) => at(`many-${i}`));
    many.forEach((f, i) => writeFileSync(f, `file ${i}\n`.repeat(i)));
    const { ctx, started, done } = shimmed();
    try {
      await ctx.prefetch([...many, at('missing'), at('no-folder/missing')].map(fileState));
      for (const f of many) assert.deepEqual(await outcome(ctx, fileState(f)), await outcome(engineHost(localExecutor), fileAlone(f)), f);
      assert.deepEqual(started().sort(), ['base64', 'cat', 'mktemp', 'rm', 'stat', 'stat']);
    } finally {
      done();
    }
  });

  it('a file that changes while the files are read is read again, alone: never one file\'s bytes under another\'s name', async () => {
    const pair = [at('changes-1'), at('changes-2'), at('changes-3')];
    pair.forEach((f) => writeFileSync(f, `before ${f}\n`));
    const { ctx, started, done } = shimmed(`printf 'grown\\n' >>${quote(pair[0]!)}`);
    try {
      await ctx.prefetch(pair.map(fileState));
      for (const f of pair) assert.deepEqual(await outcome(ctx, fileState(f)), await outcome(engineHost(localExecutor), fileAlone(f)), f);
      assert.match((await ctx.fact(fileState(pair[0]!)) as { content: string }).content, /grown/);
      assert.equal(started().filter((t) => t === 'cat').length, 1, 'one cat of them all');
      assert.equal(started().filter((t) => t === 'base64').length, pair.length, 'then each file alone');
    } finally {
      done();
    }
  });

  it('a file whose size does not say what it holds (/proc) is read alone, as READ_FILE reads it', async () => {
    const files = [at('plain'), '/proc/version', at('empty')];
    const ctx = engineHost(localExecutor);
    await ctx.prefetch(files.map(fileState));
    for (const f of files) assert.deepEqual(await outcome(ctx, fileState(f)), await outcome(engineHost(localExecutor), fileAlone(f)), f);
    assert.match((await ctx.fact(fileState('/proc/version')) as { content: string }).content, /Linux/);
  });

  it('leaves no copy of what it read behind, even when its reader is gone before it writes', async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'st2prov-tmp-'));
    try {
      const [cmd, ...args] = fileState(at('plain')).family!.whole([at('plain'), at('private')]).argv;
      const code = await new Promise<number | null>((resolve) => {
        const child = spawn(cmd!, args, { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, TMPDIR: tmp } });
        child.stdout.destroy();
        child.on('close', resolve);
      });
      assert.notEqual(code, 0, 'it could not write');
      assert.deepEqual(readdirSync(tmp), []);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  it('a file asked alone is read alone, with the same answer', async () => {
    for (const f of [at('plain'), at('missing'), at('folder')]) {
      assert.deepEqual(await outcome(engineHost(localExecutor), fileState(f)), await outcome(engineHost(localExecutor), fileAlone(f)), f);
    }
  });

  /** A file of `size` bytes without writing them (sparse), with a mark at each end so its digest is its own. */
  const sized = (name: string, size: number) => {
    const path = at(name);
    writeFileSync(path, `start of ${name}\n`);
    truncateSync(path, size);
    const fd = openSync(path, 'r+');
    writeSync(fd, `end of ${name}\n`, size - `end of ${name}\n`.length);
    closeSync(fd);
    return path;
  };
  const sha256Of = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');
  /** This machine's shell, with the size of every output it gives back. */
  const measured = () => {
    const sizes: number[] = [];
    const executor: Executor = {
      exec: async (r: ExecRequest) => {
        const result = await localExecutor.exec(r);
        sizes.push(result.stdout.length);
        return result;
      },
      withTcp: localExecutor.withTcp.bind(localExecutor),
    };
    return { ctx: engineHost(executor), sizes };
  };

  it('a file larger than FILE_CONTENT_LIMIT is read by size and SHA-256 on the host, never its bytes; the small ones beside it whole', async () => {
    const big = sized('big', FILE_CONTENT_LIMIT + 1);
    const huge = sized('huge', 256 * 1024 * 1024);
    const { ctx, sizes } = measured();
    await ctx.prefetch([big, huge, at('plain')].map(fileState));
    assert.equal(sizes.length, 1, 'one command');
    assert.ok(sizes[0]! < 4096, `the output is a few lines, not the files (${sizes[0]} characters)`);
    for (const [path, size] of [[big, FILE_CONTENT_LIMIT + 1], [huge, 256 * 1024 * 1024]] as const) {
      const state = await ctx.fact(fileState(path));
      assert.deepEqual(state, { exists: true, mode: 0o644, owner: 'root', group: 'root', size, sha256: sha256Of(path), content: undefined }, path);
      assert.deepEqual(await outcome(engineHost(localExecutor), fileAlone(path)), state, 'as READ_FILE alone says');
    }
    const plain = await ctx.fact(fileState(at('plain')));
    assert.deepEqual(plain, { exists: true, mode: 0o644, owner: 'root', group: 'root', size: 12, sha256: sha256Of(at('plain')), content: 'a = 1\nb = 2\n' });
    rmSync(huge);
  });

  it('a read of many files brings back at most FILES_READ_BUDGET of content; a file it left out is read again alone when its text is needed', async () => {
    const count = FILES_READ_BUDGET / FILE_CONTENT_LIMIT + 1;
    const files = Array.from({ length: count }, (_v, i) => sized(`budget-${i}`, FILE_CONTENT_LIMIT));
    try {
      const { ctx, sizes } = measured();
      await ctx.prefetch(files.map(fileState));
      assert.ok(sizes[0]! < (FILES_READ_BUDGET * 4) / 3 + 4096, `the output stays within the budget (${sizes[0]} characters)`);
      const states = await Promise.all(files.map((f) => ctx.fact(fileState(f))));
      assert.deepEqual(states.map((s) => s.exists && s.content !== undefined), [...Array(count - 1).fill(true), false], 'whole in order until the budget is spent');
      for (const [i, s] of states.entries()) assert.equal(s.exists && s.sha256, sha256Of(files[i]!));
      const last = states[count - 1]!;
      assert.ok(last.exists);
      const text = await fileText(ctx, files[count - 1]!, last);
      assert.equal(text.content, readFileSync(files[count - 1]!, 'utf8'), 'its text, read alone');
      assert.equal(sizes.length, 2, 'in one more command');
    } finally {
      for (const f of files) rmSync(f);
    }
  });

  it('the text of a file larger than FILE_CONTENT_LIMIT is refused by name, not read', async () => {
    const big = sized('too-big', FILE_CONTENT_LIMIT + 1);
    const ctx = engineHost(localExecutor);
    const state = await ctx.fact(fileState(big));
    assert.ok(state.exists);
    await assert.rejects(fileText(ctx, big, state, 'editing a key'), (err: Error) => err instanceof FileTooLarge && err.message.startsWith(`${big} is 1.0 MB, too large for editing a key`));
    rmSync(big);
  });

  it('paths are looked at by one command, each as stat alone says', async () => {
    const executor = countingExecutor();
    const ctx = engineHost(executor);
    await ctx.prefetch(files.map(pathState));
    assert.equal(executor.commands.length, 1);
    const kinds = await Promise.all(files.map(async (f) => (await ctx.fact(pathState(f))).kind));
    assert.deepEqual(kinds, ['file', 'file', 'file', 'file', 'file', 'file', 'directory', 'other', 'other', 'missing', 'missing']);
    const plain = await ctx.fact(pathState(at('private')));
    assert.equal(plain.mode, 0o600);
    assert.equal(executor.commands.length, 1);
  });

  it('output cut short is an error for every file of the read, never a partial answer', async () => {
    const cut: Executor = {
      exec: async (r: ExecRequest) => {
        const full = await localExecutor.exec(r);
        return { ...full, stdout: full.stdout.slice(0, full.stdout.indexOf('b = 2')) };
      },
      withTcp: localExecutor.withTcp.bind(localExecutor),
    };
    const ctx = engineHost(cut);
    await ctx.prefetch([fileState(at('plain')), fileState(at('empty'))]);
    await assert.rejects(ctx.fact(fileState(at('plain'))), /cut short/);
    await assert.rejects(ctx.fact(fileState(at('empty'))), /cut short/);
  });
});
