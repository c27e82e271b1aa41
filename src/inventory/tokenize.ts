/**
 * Splits an inventory line into words the way Ansible's INI plugin does (shlex with
 * comments): quotes group, backslash escapes, an unquoted `#` starting a word begins a comment.
 * Returns null with a reason when quotes are left open.
 */
export interface Word {
  text: string;
  /** true when any part of the word was quoted: a quoted value is always a string */
  quoted: boolean;
}

export function splitWords(line: string): { words: Word[] } | { error: string } {
  const words: Word[] = [];
  let current = '';
  let quoted = false;
  let inWord = false;
  let quote: '"' | "'" | null = null;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quote) {
      if (ch === quote) quote = null;
      else if (ch === '\\' && quote === '"' && i + 1 < line.length && '"\\$`'.includes(line[i + 1]!)) current += line[++i];
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      quoted = true;
      inWord = true;
      continue;
    }
    if (ch === '\\' && i + 1 < line.length) {
      current += line[++i];
      inWord = true;
      continue;
    }
    if (ch === '#' && !inWord) break;
    if (ch === ' ' || ch === '\t') {
      if (inWord) words.push({ text: current, quoted });
      current = '';
      quoted = false;
      inWord = false;
      continue;
    }
    current += ch;
    inWord = true;
  }
  if (quote) return { error: `unterminated ${quote === '"' ? 'double' : 'single'} quote` };
  if (inWord) words.push({ text: current, quoted });
  return { words };
}

/** `key=value` from one word; the first `=` splits, later ones belong to the value. */
export function splitAssignment(word: string): [string, string] | null {
  const at = word.indexOf('=');
  if (at <= 0) return null;
  return [word.slice(0, at), word.slice(at + 1)];
}
