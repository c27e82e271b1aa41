import { MASK } from '../core/secret.js';
import { redisArgument } from './confKey.js';
import { fromLines, toLines } from './lines.js';

/*
 * redis.conf and sentinel.conf as Redis reads them: a directive is a line of arguments split
 * like a shell (sdssplitargs: "double quotes" with \\ \" \n \xHH escapes, 'single quotes').
 * Redis writes these files itself (CONFIG REWRITE after Sentinel makes a replica; Sentinel on
 * every change of its state), quoting and ordering in its own way. So a directive here is
 * compared by what it means, not by its text: one Redis wrote differently but meaning the same
 * is left as it is, and the next apply finds nothing to do.
 */

/** A directive st2prov wants: the arguments that name it, and what it must say. */
export interface RedisDirective {
  /** the leading arguments that identify the line: ['bind'], ['sentinel', 'auth-pass', 'st2'] */
  id: readonly string[];
  /** the arguments after the id */
  args: readonly string[];
  /** only written when no line has this id (a value Redis or Sentinel owns once it runs: a master's address) */
  seedOnly?: boolean;
  /** whether a found line's arguments (after the id) already mean what `args` means; default: the same words */
  same?(found: readonly string[]): boolean;
}

export interface RedisEdit {
  set: readonly RedisDirective[];
  /** lines (by all their arguments) that must go */
  drop?: (args: readonly string[]) => boolean;
}

/** Redis' own split of one config line into arguments; undefined for a comment, a blank or an unbalanced quote. */
export function redisArgs(line: string): string[] | undefined {
  const args: string[] = [];
  let i = 0;
  const n = line.length;
  while (true) {
    while (i < n && /\s/.test(line[i]!)) i++;
    if (i >= n) break;
    if (args.length === 0 && line[i] === '#') return undefined;
    const bytes: number[] = [];
    const add = (text: string) => bytes.push(...Buffer.from(text, 'utf8'));
    let inDouble = false;
    let inSingle = false;
    for (;;) {
      const c = line[i];
      if (inDouble) {
        if (c === undefined) return undefined;
        if (c === '\\' && line[i + 1] === 'x' && /^[0-9a-fA-F]{2}$/.test(line.slice(i + 2, i + 4))) {
          bytes.push(parseInt(line.slice(i + 2, i + 4), 16));
          i += 4;
          continue;
        }
        if (c === '\\' && line[i + 1] !== undefined) {
          const e = line[i + 1]!;
          add(e === 'n' ? '\n' : e === 'r' ? '\r' : e === 't' ? '\t' : e === 'b' ? '\b' : e === 'a' ? '\x07' : e);
          i += 2;
          continue;
        }
        if (c === '"') {
          if (i + 1 < n && !/\s/.test(line[i + 1]!)) return undefined;
          inDouble = false;
          i++;
          break;
        }
        add(c);
        i++;
      } else if (inSingle) {
        if (c === undefined) return undefined;
        if (c === '\\' && line[i + 1] === "'") {
          add("'");
          i += 2;
          continue;
        }
        if (c === "'") {
          if (i + 1 < n && !/\s/.test(line[i + 1]!)) return undefined;
          inSingle = false;
          i++;
          break;
        }
        add(c);
        i++;
      } else {
        if (c === undefined || /\s/.test(c)) break;
        if (c === '"') inDouble = true;
        else if (c === "'") inSingle = true;
        else add(c);
        i++;
      }
    }
    // an argument is bytes: \xHH escapes are the UTF-8 bytes of text
    args.push(Buffer.from(bytes).toString('utf8'));
  }
  return args.length ? args : undefined;
}

function matches(args: readonly string[], id: readonly string[]): boolean {
  return id.every((word, i) => args[i]?.toLowerCase() === word.toLowerCase());
}

const sameWords = (want: readonly string[]) => (found: readonly string[]) => found.length === want.length && found.every((w, i) => w === want[i]);

/**
 * Applies directives to a Redis config: each present exactly once and meaning what it
 * should (an existing line that means it is kept as Redis wrote it; one that does not is
 * replaced in place; a missing one is appended), and the lines `drop` names removed.
 * Comments and every other line stay.
 */
export function editRedisConf(text: string, edit: RedisEdit): string {
  let lines = toLines(text);
  if (edit.drop) lines = lines.filter((line) => {
    const args = redisArgs(line);
    return !args || !edit.drop!(args);
  });
  for (const d of edit.set) {
    const found = lines.map((line, i) => ({ i, args: redisArgs(line) })).filter((l) => l.args && matches(l.args, d.id));
    const wanted = [...d.id, ...d.args].map(redisArgument).join(' ');
    if (found.length === 0) {
      lines.push(wanted);
      continue;
    }
    const first = found[0]!;
    const rest = new Set(found.slice(1).map((f) => f.i));
    const same = d.seedOnly || (d.same ?? sameWords(d.args))(first.args!.slice(d.id.length));
    lines = lines.map((line, i) => (i === first.i && !same ? wanted : line)).filter((_, i) => !rest.has(i));
  }
  return fromLines(lines);
}

/** Directives whose arguments after these words are passwords ('*' stands for any word: a master's name). */
const PASSWORD_DIRECTIVES: readonly (readonly string[])[] = [['requirepass'], ['masterauth'], ['sentinel', 'auth-pass', '*'], ['sentinel', 'sentinel-pass']];

/**
 * A line of redis.conf or sentinel.conf as a diff may show it: no password, and nothing made
 * from one. An ACL user's rules hold passwords (`>pw`, `<pw`) and their SHA-256 (`#hash`,
 * `!hash`), unsalted: a dictionary finds a weak password from its hash as well as from itself.
 * They and the arguments of password directives are shown as ********, the old ones too
 * (a password changed by hand, which st2prov never knew): the diff says only that they changed.
 */
export function redactRedisSecrets(line: string): string {
  const args = redisArgs(line);
  if (!args) return line;
  if (args[0]!.toLowerCase() === 'user' && args.length > 2) {
    return ['user', args[1]!, ...args.slice(2).map((rule) => (/^[><#!]/.test(rule) ? `${rule[0]}${MASK}` : rule))].map(redisArgument).join(' ');
  }
  const directive = PASSWORD_DIRECTIVES.find((words) => words.length < args.length && words.every((w, i) => w === '*' || args[i]!.toLowerCase() === w));
  return directive ? [...args.slice(0, directive.length).map(redisArgument), ...args.slice(directive.length).map(() => MASK)].join(' ') : line;
}
