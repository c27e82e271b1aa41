import { commandLine, type ExecResult } from '../core/command.js';
import type { Fact } from '../core/fact.js';
import { nonce as newNonce, splitFramed } from '../core/framing.js';

/**
 * One shell script that runs several fact commands at once (each in the background, its
 * stdout, stderr and exit code kept in a temp folder) and prints them framed, in order: a
 * whole play's facts cost one round trip and about as long as the slowest of them. A fact
 * that is a script of ours (`sh -c SCRIPT sh ARGS`) runs as a function of the batch's shell in
 * a subshell, as it would alone, but without starting a shell per fact.
 */
export function batchScript(facts: readonly Fact<unknown>[]): { argv: string[]; split(stdout: string): ExecResult[] } {
  const nonce = newNonce();
  const parts = [`st2prov_d=$(mktemp -d /tmp/.st2prov-${nonce}.XXXXXX) || exit 70`, `trap 'rm -rf "$st2prov_d"' EXIT`, `trap 'exit 1' HUP INT TERM PIPE`];
  const functions = new Map<string, string>();
  const commandOf = (argv: readonly string[]): string => {
    const script = ourScript(argv);
    if (script === undefined) return commandLine(argv);
    let name = functions.get(script);
    if (!name) {
      name = `st2prov_fact${functions.size}`;
      functions.set(script, name);
      parts.push(`${name}() {\n${script}\n}`);
    }
    return commandLine([name, ...argv.slice(4)]);
  };
  // each job frames its own output; only builtins run after a job's command unless it wrote to stderr
  facts.forEach((f, i) => {
    parts.push(`{ printf '\\n@@${nonce}\\n'; ( ${commandOf(f.argv)} ) </dev/null 2>"$st2prov_d/${i}.err"; printf '\\n@@${nonce} %s ' "$?"; [ ! -s "$st2prov_d/${i}.err" ] || base64 -w0 <"$st2prov_d/${i}.err"; } >"$st2prov_d/${i}" &`);
  });
  parts.push('wait');
  parts.push(`cat ${facts.map((_f, i) => `"$st2prov_d/${i}"`).join(' ')}`);
  parts.push(`printf '\\n@@${nonce}-end\\n'`);
  return {
    argv: ['sh', '-c', parts.join('\n')],
    split: (stdout) => splitFramed(stdout, nonce, { ended: true }),
  };
}

/** The script of `sh -c SCRIPT sh ARGS...` (shellScript's form), which a function can run. */
function ourScript(argv: readonly string[]): string | undefined {
  return argv.length >= 4 && argv[0] === 'sh' && argv[1] === '-c' && argv[3] === 'sh' ? argv[2] : undefined;
}
