/** Text as lines and back, remembering whether it ended with a newline. */
export function toLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines;
}

export function fromLines(lines: readonly string[]): string {
  return lines.length ? `${lines.join('\n')}\n` : '';
}
