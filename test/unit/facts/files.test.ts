import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { shellScript, type ExecRequest } from '../../../src/core/command.js';
import type { ClusterHost, ClusterView, Vault } from '../../../src/core/context.js';
import { RemoteCommandError } from '../../../src/core/errors.js';
import { fact, type Fact } from '../../../src/core/fact.js';
import { EngineHost, type Executor } from '../../../src/engine/engineHost.js';
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
