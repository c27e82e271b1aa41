import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
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
import { READ_FILE, fileState, parseFileState, pathState } from '../../../src/facts/files.js';

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
      assert.equal(started().filter((t) => t === 'cat').length, 1 + pair.length, 'one cat of them all, then one a file');
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
