import { fromLines, toLines } from './lines.js';

/**
 * Key-by-key edits of INI files (st2.conf, mistral.conf) that keep every comment and line
 * they do not own. Values are written and compared whole: oslo.config and StackStorm read
 * everything after `=` as the value, so `#`, `;`, `=`, quotes and spaces are part of it.
 */
export function setIniKey(text: string, section: string, key: string, value: string): string {
  const lines = toLines(text);
  const range = sectionRange(lines, section);
  if (!range) {
    const out = [...lines];
    if (out.length && out[out.length - 1]!.trim() !== '') out.push('');
    out.push(`[${section}]`, `${key} = ${value}`);
    return fromLines(out);
  }
  const active: number[] = [];
  let commented = -1;
  for (let i = range.start; i < range.end; i++) {
    const parsed = parseIniLine(lines[i]!);
    if (!parsed || parsed.key !== key) continue;
    if (parsed.commented) {
      if (commented < 0) commented = i;
    } else active.push(i);
  }
  const out = [...lines];
  const target = active[0] ?? commented;
  if (target >= 0) {
    out[target] = `${key} = ${value}`;
    const drop = new Set(active.slice(1));
    return fromLines(out.filter((_, i) => !drop.has(i)));
  }
  // After the section's last non-blank line, so blank separators stay between sections.
  let at = range.end;
  while (at > range.start + 1 && out[at - 1]!.trim() === '') at--;
  out.splice(at, 0, `${key} = ${value}`);
  return fromLines(out);
}

/** Removes a key's active lines from a section (commented lines stay). */
export function removeIniKey(text: string, section: string, key: string): string {
  const lines = toLines(text);
  const range = sectionRange(lines, section);
  if (!range) return text;
  const drop = new Set<number>();
  for (let i = range.start; i < range.end; i++) {
    const parsed = parseIniLine(lines[i]!);
    if (parsed && !parsed.commented && parsed.key === key) drop.add(i);
  }
  return drop.size ? fromLines(lines.filter((_, i) => !drop.has(i))) : text;
}

export function getIniKey(text: string, section: string, key: string): string | undefined {
  const lines = toLines(text);
  const range = sectionRange(lines, section);
  if (!range) return undefined;
  for (let i = range.start; i < range.end; i++) {
    const parsed = parseIniLine(lines[i]!);
    if (parsed && !parsed.commented && parsed.key === key) return parsed.value;
  }
  return undefined;
}

/**
 * Every active key as oslo.config reads it, "section.key" → value: the first of a key in a
 * section wins, as getIniKey reads it; comments and blank lines are not entries.
 */
export function iniEntries(text: string): Map<string, string> {
  const entries = new Map<string, string>();
  let section = '';
  for (const line of toLines(text)) {
    const header = /^\s*\[([^\]]+)\]\s*$/.exec(line);
    if (header) {
      section = header[1]!;
      continue;
    }
    const parsed = parseIniLine(line);
    if (parsed && !parsed.commented && !entries.has(`${section}.${parsed.key}`)) entries.set(`${section}.${parsed.key}`, parsed.value);
  }
  return entries;
}

/** Lines of a section: from its header to the next header; the first one wins. */
function sectionRange(lines: readonly string[], section: string): { start: number; end: number } | undefined {
  const start = lines.findIndex((l) => l.trim() === `[${section}]`);
  if (start < 0) return undefined;
  let end = start + 1;
  while (end < lines.length && !/^\s*\[[^\]]+\]\s*$/.test(lines[end]!)) end++;
  return { start, end };
}

function parseIniLine(line: string): { commented: boolean; key: string; value: string } | undefined {
  const m = /^\s*([#;]\s*)?([A-Za-z0-9_.-]+)\s*=\s?(.*)$/.exec(line);
  if (!m) return undefined;
  return { commented: m[1] !== undefined, key: m[2]!, value: m[3]!.trim() };
}

/**
 * A string value as oslo.config reads it back (st2.conf, mistral.conf): it substitutes
 * `$name` and `${group.name}` with other options, so a literal `$` is written `$$`. The value
 * must be one line (a line that starts with a space continues the one before) and not begin
 * and end with the same quote, which oslo.config strips.
 */
export function osloValue(text: string): string {
  if (/[\r\n]/.test(text)) throw new Error('an oslo.config value is one line');
  if (/^(["']).*\1$/s.test(text)) throw new Error('oslo.config strips quotes around a whole value');
  return osloDollars(text);
}

/** `$` doubled, as oslo.config reads a literal `$` in any part of a value. */
export function osloDollars(text: string): string {
  return text.replaceAll('$', '$$$$');
}

/**
 * JSON on one line of ASCII, for a JSON value inside an INI file (st2auth's backend_kwargs):
 * line breaks, quotes and backslashes are escaped by JSON, and everything outside printable
 * ASCII as \uXXXX, so the file's encoding cannot change a byte of it.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
