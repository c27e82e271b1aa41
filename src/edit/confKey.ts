import { fromLines, toLines } from './lines.js';

/**
 * `key = value` files (postgresql.conf, mongodb.conf): sets one key so exactly one active
 * line holds it. The first active line is changed in place (its trailing comment kept);
 * with none active, the first commented-out line is uncommented in place; otherwise the
 * key is appended. Later active duplicates are removed; every comment stays.
 * `value` is written as given: encode it with the file's style first.
 */
export interface ConfStyle {
  /** written between key and value: " = " (postgresql.conf), "=" (shell env files), " " (redis.conf) */
  separator: string;
  /** a value (or a list of words) as the file's syntax needs it to be read back exactly */
  encode(value: string | readonly string[]): string;
}

/** `key = value` written as given (mongodb.conf and other files without quoting). */
export const CONF_STYLE: ConfStyle = { separator: ' = ', encode: (v) => words(v).join(',') };

/** postgresql.conf: a string setting in single quotes, a list joined with commas. */
export const POSTGRES_STYLE: ConfStyle = { separator: ' = ', encode: (v) => pgValue(words(v).join(',')) };

/** Shell environment files (/etc/default/*, rabbitmq-env.conf): KEY="words" as sh reads them back. */
export const ENV_STYLE: ConfStyle = { separator: '=', encode: (v) => shellDoubleQuoted(words(v).join(' ')) };

/** redis.conf: `key arg arg`, each argument quoted when Redis' parser needs it. */
export const REDIS_STYLE: ConfStyle = { separator: ' ', encode: (v) => words(v).map(redisArgument).join(' ') };

function words(value: string | readonly string[]): readonly string[] {
  return typeof value === 'string' ? [value] : value;
}

/**
 * One argument of a redis.conf line. Redis splits lines like a shell (sdssplitargs): a
 * plain argument stops at a space; a double-quoted one may hold anything, with \\, \" and
 * \xHH escapes.
 */
export function redisArgument(text: string): string {
  if (/^[!#-&(-[\]-~]+$/.test(text)) return text; // printable ASCII without space, quotes or backslash
  return `"${[...Buffer.from(text, 'utf8')].map((b) => (b === 0x22 || b === 0x5c ? `\\${String.fromCharCode(b)}` : b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('')}"`;
}

export function setConfKey(text: string, key: string, value: string, style: Pick<ConfStyle, 'separator'> = CONF_STYLE): string {
  const lines = toLines(text);
  const active: number[] = [];
  let commented = -1;
  lines.forEach((line, i) => {
    const parsed = parseConfLine(line, style);
    if (!parsed || parsed.key !== key) return;
    if (parsed.commented) {
      if (commented < 0) commented = i;
    } else active.push(i);
  });
  const target = active[0] ?? commented;
  if (target < 0) return fromLines([...lines, `${key}${style.separator}${value}`]);
  const parsed = parseConfLine(lines[target]!, style)!;
  const out = [...lines];
  out[target] = `${parsed.indent}${key}${style.separator}${value}${parsed.trailer}`;
  const drop = new Set(active.slice(1));
  return fromLines(out.filter((_, i) => !drop.has(i)));
}

/** Reads the active value of a key (the first active line), or undefined. */
export function getConfKey(text: string, key: string, style: Pick<ConfStyle, 'separator'> = CONF_STYLE): string | undefined {
  for (const line of toLines(text)) {
    const parsed = parseConfLine(line, style);
    if (parsed && !parsed.commented && parsed.key === key) return parsed.value;
  }
  return undefined;
}

/** A value in double quotes as sh reads it back: `"`, `\`, `$` and backtick escaped. */
export function shellDoubleQuoted(text: string): string {
  return `"${text.replace(/["\\$`]/g, '\\$&')}"`;
}

/** PostgreSQL's quoting for a string setting: single quotes, embedded quotes doubled. */
export function pgValue(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

interface ConfLine {
  indent: string;
  commented: boolean;
  key: string;
  value: string;
  /** whitespace and comment after the value, kept as it was */
  trailer: string;
}

export function parseConfLine(line: string, style: Pick<ConfStyle, 'separator'> = CONF_STYLE): ConfLine | undefined {
  const m = /^(\s*)(#\s*)?([A-Za-z0-9_][A-Za-z0-9_.-]*)(\s*=\s*|\s+)(.*)$/.exec(line);
  if (!m) return undefined;
  // a key may start with a digit (ZooKeeper's 4lw.commands.whitelist) only before an "=": "10 seconds" is prose
  if (/^[0-9]/.test(m[3]!) && !/=/.test(m[4]!)) return undefined;
  const [, indent, hash, key, , rest] = m as unknown as [string, string, string | undefined, string, string, string];
  // A commented line is a disabled setting only when it looks like one ("#key = ..."),
  // not prose that happens to start with a word ("# This is ..."). Files whose syntax is
  // "key value" (redis.conf) have no "=" to tell them apart: there the disabled setting is
  // "#key value" with no space after the "#" or a single one, and a lower-case key.
  if (hash !== undefined && !/=/.test(m[4]!) && (style.separator.trim() === '=' || !/^[a-z][a-z0-9-]*$/.test(key) || hash.length > 2)) return undefined;
  const { value, trailer } = splitValue(rest);
  return { indent, commented: hash !== undefined, key, value, trailer };
}

function splitValue(rest: string): { value: string; trailer: string } {
  const quote = rest[0];
  if (quote === "'" || quote === '"') {
    let i = 1;
    while (i < rest.length) {
      if (rest[i] === quote) {
        if (rest[i + 1] === quote) i += 2; // doubled quote inside a quoted value
        else break;
      } else if (rest[i] === '\\') i += 2;
      else i++;
    }
    return { value: rest.slice(0, i + 1), trailer: rest.slice(i + 1) };
  }
  const m = /^(.*?)(\s+#.*|\s*)$/.exec(rest)!;
  return { value: m[1]!, trailer: m[2]! };
}
