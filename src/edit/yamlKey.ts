import { fromLines, toLines } from './lines.js';

/**
 * Sets `parent.child` in a block-style YAML file such as mongod.conf (`net:` then an
 * indented `bindIp:`), keeping comments and every other line. Enough for the two-level
 * keys st2prov sets; it is not a YAML parser.
 */
export function setYamlKey(text: string, parent: string, child: string, value: string): string {
  const lines = toLines(text);
  const top = lines.findIndex((l) => new RegExp(`^${escape(parent)}:\\s*(#.*)?$`).test(l));
  if (top < 0) return fromLines([...lines, `${parent}:`, `  ${child}: ${value}`]);
  let end = top + 1;
  while (end < lines.length && (lines[end]!.trim() === '' || /^\s/.test(lines[end]!) || lines[end]!.trimStart().startsWith('#'))) end++;
  const out = [...lines];
  const keyRe = new RegExp(`^(\\s+)(#\\s*)?${escape(child)}:(\\s*)(.*?)(\\s+#.*)?$`);
  let commented = -1;
  for (let i = top + 1; i < end; i++) {
    const m = keyRe.exec(out[i]!);
    if (!m) continue;
    if (m[2] === undefined) {
      out[i] = `${m[1]}${child}: ${value}${m[5] ?? ''}`;
      return fromLines(out);
    }
    if (commented < 0) commented = i;
  }
  if (commented >= 0) {
    const m = keyRe.exec(out[commented]!)!;
    out[commented] = `${m[1]}${child}: ${value}`;
    return fromLines(out);
  }
  const indent = /^(\s+)\S/.exec(out.slice(top + 1, end).find((l) => /^\s+\S/.test(l) && !l.trim().startsWith('#')) ?? '')?.[1] ?? '  ';
  out.splice(top + 1, 0, `${indent}${child}: ${value}`);
  return fromLines(out);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
