import { randomBytes } from 'node:crypto';
import { RemoteCommandError } from '../errors.js';
import type { ExecResult } from '../ssh/connection.js';
import { commandLine } from '../ssh/quote.js';

/**
 * A read-only probe: one command and a parser of what it prints. Facts with the same key
 * are read once per host until an applied change makes the host forget them.
 */
export interface Fact<T> {
  key: string;
  argv: readonly string[];
  parse(result: ExecResult): T;
}

export function fact<T>(key: string, argv: readonly string[], parse: (result: ExecResult) => T): Fact<T> {
  return { key, argv, parse };
}

/** A fact whose command must succeed; its stdout is parsed. */
export function strictFact<T>(key: string, argv: readonly string[], parse: (stdout: string) => T): Fact<T> {
  return fact(key, argv, (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading ${key}`, r.code, r.stderr);
    return parse(r.stdout);
  });
}

/**
 * One shell script that runs several fact commands and frames each one's stdout, exit code
 * and stderr, so a whole step's facts cost one round trip.
 */
export function batchScript(facts: readonly Fact<unknown>[]): { argv: string[]; split(stdout: string): ExecResult[] } {
  const nonce = randomBytes(8).toString('hex');
  const err = `/tmp/.st2prov-${nonce}`;
  const parts = [`e=$(mktemp ${err}.XXXXXX) || exit 70`, `trap 'rm -f "$e"' EXIT`];
  for (const f of facts) {
    parts.push(`printf '\\n%s\\n' '@@${nonce}'`);
    parts.push(`( ${commandLine(f.argv)} ) </dev/null 2>"$e"; c=$?`);
    parts.push(`printf '\\n@@${nonce} %s ' "$c"; base64 -w0 <"$e"`);
  }
  parts.push(`printf '\\n@@${nonce}-end\\n'`);
  return {
    argv: ['sh', '-c', parts.join('\n')],
    split(stdout: string): ExecResult[] {
      const end = stdout.lastIndexOf(`\n@@${nonce}-end\n`);
      if (end < 0) throw new RemoteCommandError('reading facts', null, 'probe output was cut short');
      const body = stdout.slice(0, end);
      const results: ExecResult[] = [];
      const open = `\n@@${nonce}\n`;
      let at = body.indexOf(open);
      while (at >= 0) {
        const start = at + open.length;
        const close = body.indexOf(`\n@@${nonce} `, start);
        const next = body.indexOf(open, close);
        const trailer = body.slice(close + `\n@@${nonce} `.length, next < 0 ? body.length : next);
        const space = trailer.indexOf(' ');
        results.push({
          code: Number(trailer.slice(0, space)),
          stdout: body.slice(start, close),
          stderr: Buffer.from(trailer.slice(space + 1), 'base64').toString(),
        });
        at = next;
      }
      return results;
    },
  };
}
