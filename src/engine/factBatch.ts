import { randomBytes } from 'node:crypto';
import { commandLine, type ExecResult } from '../core/command.js';
import { RemoteCommandError } from '../core/errors.js';
import type { Fact } from '../core/fact.js';

/**
 * One shell script that runs several fact commands at once (each in the background, its
 * stdout, stderr and exit code kept in a temp folder) and prints them framed, in order: a
 * whole play's facts cost one round trip and about as long as the slowest of them.
 */
export function batchScript(facts: readonly Fact<unknown>[]): { argv: string[]; split(stdout: string): ExecResult[] } {
  const nonce = randomBytes(8).toString('hex');
  const parts = [`d=$(mktemp -d /tmp/.st2prov-${nonce}.XXXXXX) || exit 70`, `trap 'rm -rf "$d"' EXIT`];
  // each job frames its own output; only builtins run after a job's command unless it wrote to stderr
  facts.forEach((f, i) => {
    parts.push(`{ printf '\\n@@${nonce}\\n'; ( ${commandLine(f.argv)} ) </dev/null 2>"$d/${i}.err"; printf '\\n@@${nonce} %s ' "$?"; [ ! -s "$d/${i}.err" ] || base64 -w0 <"$d/${i}.err"; } >"$d/${i}" &`);
  });
  parts.push('wait');
  parts.push(`cat ${facts.map((_f, i) => `"$d/${i}"`).join(' ')}`);
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
