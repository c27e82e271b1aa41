/** Plain lines when not on a terminal, with CI set, NO_COLOR or TERM=dumb; colour otherwise. */
export function isInteractive(stream: NodeJS.WriteStream, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(stream.isTTY) && !env.CI && env.NO_COLOR === undefined && env.TERM !== 'dumb';
}

export interface Paint {
  green(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
  cyan(s: string): string;
  bold(s: string): string;
  dim(s: string): string;
}

const code = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;

export const colour: Paint = { green: code(32, 39), red: code(31, 39), yellow: code(33, 39), cyan: code(36, 39), bold: code(1, 22), dim: code(2, 22) };
export const plain: Paint = { green: (s) => s, red: (s) => s, yellow: (s) => s, cyan: (s) => s, bold: (s) => s, dim: (s) => s };
