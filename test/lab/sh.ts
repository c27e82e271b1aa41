import { execFileSync, spawnSync } from 'node:child_process';

/** Runs a local command, failing with its stderr; the lab's only way to call tools. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): string {
  return runBuffer(cmd, args, options).toString();
}

interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export function runBuffer(cmd: string, args: readonly string[], options: RunOptions = {}): Buffer {
  const result = spawnSync(cmd, args, { input: options.input, env: { ...process.env, ...(options.env ?? {}) }, cwd: options.cwd, encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  if (result.status !== 0) {
    const err = result.stderr?.toString().trim() || result.stdout?.toString().trim() || String(result.error ?? '');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${result.status}): ${err.split('\n').slice(-8).join('\n')}`);
  }
  return result.stdout;
}

/** Like run, for clean-up: a failure is expected when the thing is already gone. */
export function tryRun(cmd: string, args: readonly string[]): boolean {
  return spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
}

export function has(binary: string): boolean {
  try {
    execFileSync('sh', ['-c', `command -v ${binary}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function log(message: string): void {
  process.stderr.write(`lab: ${message}\n`);
}
