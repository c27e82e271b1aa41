import type { ExecRequest, Executor } from '../../src/core/command.js';
import { localExecutor } from '../../src/core/localExecutor.js';

/** This machine's own shell as a host; every command it is given is counted. */
export function countingExecutor(): Executor & { commands: string[] } {
  const commands: string[] = [];
  return {
    commands,
    exec: (r: ExecRequest) => {
      commands.push(r.argv.join(' '));
      return localExecutor.exec(r);
    },
    withTcp: localExecutor.withTcp.bind(localExecutor),
  };
}
