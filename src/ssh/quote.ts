/** POSIX shell quoting: every argument becomes one word, whatever it contains. */
export function quote(arg: string): string {
  if (arg !== '' && /^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** A command line from an argument vector; the only way st2prov builds remote commands. */
export function commandLine(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('empty command');
  return argv.map(quote).join(' ');
}

/**
 * A fixed shell script run with its inputs as positional parameters ("$1", "$2", ...),
 * so the script text never contains a value.
 */
export function shellScript(script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}
