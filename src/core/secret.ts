import { randomBytes } from 'node:crypto';

export const MASK = '********';

/** Every secret value seen in this process (and the forms it takes), so any text can be masked before it is shown. */
const known = new Set<string>();
let ordered: string[] | undefined;

/**
 * A secret value. It never turns into its text by accident: string conversion, JSON
 * and util.inspect all give the mask. Only `reveal()` gives the value, for stdin or a file.
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
    remember(value);
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return MASK;
  }
  toJSON(): string {
    return MASK;
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return `Secret(${MASK})`;
  }
}

export function isSecret(value: unknown): value is Secret {
  return value instanceof Secret;
}

/**
 * Registers a value to be masked everywhere: as it is, URL-encoded (as in connection URLs),
 * and, for a value of several lines (a key), each of its lines.
 */
export function remember(value: string): void {
  const forms = value.includes('\n') ? value.split(/\r?\n/).map((l) => l.trim()) : [value, encodeURIComponent(value)];
  for (const form of forms) if (form !== '') known.add(form);
  ordered = undefined;
}

// A secret is masked where it stands as a value: after a separator (=, :, a quote, @, a space,
// the start of a line) and before one. Inside a longer word or a path it is left alone, so a
// short secret neither garbles "/etc/st2/st2.conf" nor betrays itself by where the masks fall.
const BEFORE = /[\s=:'"`@,;(\[{<>]/;
const AFTER = /[\s:'"`@,;)\]}<>]/;
const HUNK = /^@@ -\d+(?:,\d+)? \+\d+(?:,\d+)? @@/;

export function mask(text: string): string {
  if (text.length === 0) return text;
  const credentials = text.includes('://') || text.includes('=') ? maskUrlCredentials(text) : text;
  if (known.size === 0) return credentials;
  // longest first, so a secret that contains another is masked whole
  ordered ??= [...known].sort((a, b) => b.length - a.length);
  return credentials
    .split('\n')
    .map((line) => (HUNK.test(line) ? line : maskLine(line, ordered!)))
    .join('\n');
}

function maskLine(line: string, values: readonly string[]): string {
  let out = line;
  for (const value of values) {
    let at = 0;
    while ((at = valueAt(out, value, at)) >= 0) {
      out = out.slice(0, at) + MASK + out.slice(at + value.length);
      at += MASK.length;
    }
  }
  return out;
}

/** Where `value` next stands as a value in `line` (not inside a word or a path), or -1. */
function valueAt(line: string, value: string, from: number): number {
  for (let at = line.indexOf(value, from); at >= 0; at = line.indexOf(value, at + 1)) {
    const before = at === 0 ? '' : line[at - 1]!;
    const after = line.slice(at + value.length, at + value.length + 2);
    // the start of a line counts too when a diff marks it (+, -, space)
    const startsValue = before === '' || BEFORE.test(before) || (at === 1 && /[+-]/.test(before)) || !/\w/.test(value[0]!);
    const endsValue = after === '' || AFTER.test(after[0]!) || !/\w/.test(value[value.length - 1]!) || (after[0] === '.' && (after.length === 1 || /\s/.test(after[1]!)));
    if (startsValue && endsValue) return at;
  }
  return -1;
}

/*
 * Credentials in URLs, masked wherever a URL is shown, whoever wrote it: the password of
 * `scheme://user:PASSWORD@host` (each host's of `rabbit://u:p@h1,u:p@h2`), the whole user part
 * of `https://TOKEN@host` (a token given as the user), but not ssh's `git@host` (an account,
 * which authenticates by key); and the value of a query parameter named like a secret
 * (tooz's `?password=`, `&sentinel_password=`, `&token=`).
 */
const URL_AUTHORITY = /\b([a-z][a-z0-9+.-]*):\/\/([^\s/?#]*)/gi;
const ACCOUNT_SCHEMES = /^(?:ssh|git\+ssh|ssh\+git|sftp)$/i;
const URL_PARAMETER = /([?&;])([A-Za-z0-9_.-]+)=([^&;#\s'"]*)/g;
const SECRET_PARAMETER = /password|passwd|secret|token|credential|^pass$|_pass$|^key$|_key$/i;

/** Each host part of a URL's authority: its user part as shown, and its password as written. */
function userinfoCredentials(scheme: string, authority: string): { part: string; at: number; shown: string; password: string | undefined }[] {
  if (!authority.includes('@')) return [];
  // several hosts each with their credentials (oslo.messaging's rabbit://), else one whose password may hold a comma
  const parts = (authority.match(/@/g) ?? []).length > 1 ? authority.split(',') : [authority];
  return parts.map((part) => {
    const at = part.lastIndexOf('@');
    const userinfo = at < 0 ? '' : part.slice(0, at);
    const colon = userinfo.indexOf(':');
    if (colon >= 0) return { part, at, shown: `${userinfo.slice(0, colon)}:${MASK}`, password: userinfo.slice(colon + 1) };
    return { part, at, shown: at < 0 || userinfo === '' || ACCOUNT_SCHEMES.test(scheme) ? userinfo : MASK, password: undefined };
  });
}

export function maskUrlCredentials(text: string): string {
  return text
    .replace(URL_AUTHORITY, (whole, scheme: string, authority: string) => {
      const parts = userinfoCredentials(scheme, authority);
      return parts.length === 0 ? whole : `${scheme}://${parts.map((p) => (p.at < 0 ? p.part : `${p.shown}${p.part.slice(p.at)}`)).join(',')}`;
    })
    .replace(URL_PARAMETER, (whole, separator: string, name: string, value: string) => (value !== '' && SECRET_PARAMETER.test(name) ? `${separator}${name}=${MASK}` : whole));
}

/**
 * Registers the passwords a URL given by the operator holds (in its user part or its query,
 * see maskUrlCredentials), as written and percent-decoded, so they are masked also where they
 * stand outside the URL (Redis' password in redis.conf).
 */
export function rememberUrlCredentials(url: string): void {
  const found: string[] = [];
  for (const [, scheme, authority] of url.matchAll(URL_AUTHORITY)) found.push(...userinfoCredentials(scheme!, authority!).flatMap((p) => (p.password ? [p.password] : [])));
  for (const [, , name, value] of url.matchAll(URL_PARAMETER)) if (value && SECRET_PARAMETER.test(name!)) found.push(value);
  for (const value of found.filter((v) => v !== MASK)) {
    remember(value);
    try {
      remember(decodeURIComponent(value));
    } catch {
      // not percent-encoded as a URL would be: kept as written
    }
  }
}

/** Deep copy of a value fit for output: secrets masked, strings scrubbed. */
export function masked<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'string' ? mask(v) : v))) as T;
}

export function generateSecret(bytes = 24): string {
  // URL- and shell-safe alphabet: these values end up in URLs and config files
  return randomBytes(bytes).toString('base64url');
}

/**
 * The lines a file used to have in place of lines that now carry a secret usually carried
 * the old secret, which st2prov may never have seen (changed by hand, or by -e). For each
 * removed line of a diff that stands where a secret-bearing line stands now, the part
 * after the text the two share is masked: `password = OLD` against `password = NEW`.
 */
export function redactReplacedSecrets(diff: string, after: string): string {
  const prefixes: string[] = [];
  for (const line of after.split('\n')) {
    let first = -1;
    for (const value of known) {
      const at = valueAt(line, value, 0);
      if (at >= 0 && (first < 0 || at < first)) first = at;
    }
    if (first >= 0) prefixes.push(line.slice(0, first));
  }
  if (prefixes.length === 0) return diff;
  return diff
    .split('\n')
    .map((line) => {
      if (!line.startsWith('-') || line.startsWith('---')) return line;
      const body = line.slice(1);
      const prefix = prefixes.filter((p) => body.startsWith(p)).sort((a, b) => b.length - a.length)[0];
      return prefix === undefined ? line : `-${prefix}${MASK}`;
    })
    .join('\n');
}
