import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tracked } from './children.js';
import { projectDir, type CliRun, type JsonReport } from './cli.js';

/** An st2prov run and the most memory its process held: VmHWM, its resident set's high-water mark. */
export interface MeasuredRun extends CliRun {
  signal: NodeJS.Signals | null;
  peakRssBytes: number;
  /** how many times VmHWM was read while it ran */
  samples: number;
  seconds: number;
  /** bytes it printed on stdout (kept in `stdout` only when asked) */
  stdoutBytes: number;
}

export interface MeasureOptions {
  env?: NodeJS.ProcessEnv;
  /** asked at every reading: true SIGKILLs the run (after one last reading) */
  killWhen?: () => boolean;
  /** keep stdout (default); false counts its bytes only, for output larger than the test should hold */
  keepStdout?: boolean;
}

function highWaterMark(pid: number): number | undefined {
  try {
    const m = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the real command line (as st2prov() does) and reads the kernel's high-water mark of its
 * resident set every 20 ms until it exits. VmHWM only grows, so the last reading is the peak
 * of the whole run up to then; what could be missed is the last 20 ms, when the run only prints
 * its recap. The process is node running bin/st2prov.js itself (no wrapper in between).
 */
export function st2provMeasured(args: string[], options: MeasureOptions = {}): Promise<MeasuredRun> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = tracked(spawn(process.execPath, [`${projectDir}bin/st2prov.js`, ...args], { env: { ...process.env, CI: 'true', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stdoutBytes = 0;
    let stderr = '';
    let peak = 0;
    let samples = 0;
    let lastOutput = Date.now();
    const sample = () => {
      const hwm = child.pid === undefined || child.exitCode !== null || child.signalCode !== null ? undefined : highWaterMark(child.pid);
      if (hwm !== undefined) {
        peak = Math.max(peak, hwm);
        samples += 1;
      }
    };
    const timer = setInterval(() => {
      sample();
      if (options.killWhen && child.exitCode === null && child.signalCode === null && options.killWhen()) {
        sample();
        child.kill('SIGKILL');
      }
    }, 20);
    child.stdout.on('data', (c: Buffer) => {
      stdoutBytes += c.length;
      if (options.keepStdout !== false) stdout += c.toString();
      lastOutput = Date.now();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      lastOutput = Date.now();
    });
    child.on('close', (code, signal) => {
      clearInterval(timer);
      let json = undefined as unknown as JsonReport;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout) as JsonReport;
        } catch {
          // a run that crashed printed none: the caller's assertions say what was expected
        }
      }
      resolve({ code: code ?? -1, signal, stdout, stderr, json, quietMs: Date.now() - lastOutput, peakRssBytes: peak, samples, seconds: (Date.now() - t0) / 1000, stdoutBytes });
    });
  });
}
