import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { tracked } from './children.js';
import { projectDir, type CliRun } from './cli.js';

/** An st2prov run and the most memory its process held: VmHWM, its resident set's high-water mark. */
export interface MeasuredRun extends CliRun {
  peakRssBytes: number;
  /** how many times VmHWM was read while it ran */
  samples: number;
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
 * resident set every 50 ms until it exits. VmHWM only grows, so the last reading is the peak
 * of the whole run up to then; what could be missed is the last 50 ms, when the run only prints
 * its recap. The process is node running bin/st2prov.js itself (no wrapper in between).
 */
export function st2provMeasured(args: string[], env: NodeJS.ProcessEnv = {}): Promise<MeasuredRun> {
  return new Promise((resolve) => {
    const child = tracked(spawn(process.execPath, [`${projectDir}bin/st2prov.js`, ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    let peak = 0;
    let samples = 0;
    const sample = () => {
      const hwm = child.pid === undefined || child.exitCode !== null || child.signalCode !== null ? undefined : highWaterMark(child.pid);
      if (hwm !== undefined) {
        peak = Math.max(peak, hwm);
        samples += 1;
      }
    };
    const timer = setInterval(sample, 50);
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('close', (code) => {
      clearInterval(timer);
      resolve({ code: code ?? -1, stdout, stderr, json: undefined as unknown as CliRun['json'], peakRssBytes: peak, samples });
    });
  });
}
