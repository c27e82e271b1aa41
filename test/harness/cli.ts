import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tracked } from './children.js';

export const projectDir = fileURLToPath(new URL('../../../', import.meta.url));
const bin = `${projectDir}bin/st2prov.js`;

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed, when --json was given */
  json: JsonReport;
  /** milliseconds between the run's last output and the end of its process */
  quietMs: number;
}

export interface JsonReport {
  mode: string;
  hosts: {
    host: string;
    ok: number;
    changed: number;
    pending: number;
    failed: number;
    unreachable: number;
    reason?: string;
    steps: { play: string; step: string; status: string; reason?: string; changes: { kind: string; summary: string; diff?: string; notify: string[] }[] }[];
  }[];
  /** hosts the run left out (--limit, --role) that are out of service, with the remedy */
  warnings?: { host: string; reason: string; remedy: string }[];
}

/** Runs the real command line, as an operator would, with a plain (non-TTY) output. */
export function st2prov(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = tracked(spawn(process.execPath, [bin, ...args], { env: { ...process.env, CI: 'true', ...env }, stdio: ['ignore', 'pipe', 'pipe'] }));
    let stdout = '';
    let stderr = '';
    let lastOutput = Date.now();
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
      lastOutput = Date.now();
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString();
      lastOutput = Date.now();
    });
    let exited = 0;
    child.on('exit', () => {
      exited = Date.now();
    });
    child.on('close', (code) => {
      let json = undefined as unknown as JsonReport;
      if (args.includes('--json')) {
        try {
          json = JSON.parse(stdout) as JsonReport;
        } catch {
          // left undefined: the caller's assertions say what was expected
        }
      }
      resolve({ code: code ?? -1, stdout, stderr, json, quietMs: (exited || Date.now()) - lastOutput });
    });
  });
}

/** "step: summary" lines of every change, for comparing a dry run with an apply. */
export function changeLines(report: JsonReport): string[] {
  return report.hosts.flatMap((h) => h.steps.flatMap((s) => s.changes.map((c) => `${h.host} | ${s.step} | ${c.summary}`))).sort();
}

/** What failed, for assertion messages. */
export function failures(run: CliRun): string {
  const steps = run.json?.hosts.flatMap((h) => h.steps.filter((s) => s.status === 'failed').map((s) => `${h.host} ${s.step}: ${s.reason}`)) ?? [];
  const hosts = run.json?.hosts.filter((h) => h.reason).map((h) => `${h.host}: ${h.reason}`) ?? [];
  return [run.stderr, ...steps, ...hosts].join('\n');
}

/** A compiled playbook of the SSH test suite, by name. */
export function testPlaybook(name: string): string {
  return `${projectDir}dist/test/ssh/playbooks/${name}.js`;
}
