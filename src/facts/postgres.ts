import { MissingInput, RemoteCommandError } from '../core/errors.js';
import type { ExecResult } from '../core/command.js';
import { shellScript } from '../core/command.js';
import { fact, type Fact } from '../core/fact.js';
import { READ_FILE, parseFileState, type FileState } from './files.js';

/** psql as the postgres superuser; runuser where util-linux has it, sudo otherwise. */
export function asPostgres(argv: readonly string[]): string[] {
  return shellScript('if command -v runuser >/dev/null 2>&1; then exec runuser -u postgres -- "$@"; else exec sudo -n -u postgres -- "$@"; fi', [...argv]);
}

export function psqlArgs(sql: string): string[] {
  return asPostgres(['psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', '-F', '\t', '-c', sql]);
}

export function sqlIdentifier(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function sqlLiteral(text: string): string {
  if (text.includes('\0')) throw new Error('NUL byte in SQL literal');
  return `'${text.replace(/'/g, "''")}'`;
}

/** psql missing or no server answering: an earlier step (install, start) has not run yet. */
function checkServer(r: ExecResult, purpose: string): void {
  if (r.code === 0) return;
  if (/could not connect|connection to server|No such file or directory|failed to execute|not found|does not exist/i.test(r.stderr)) {
    throw new MissingInput('a running PostgreSQL server');
  }
  throw new RemoteCommandError(purpose, r.code, r.stderr);
}

export interface PgRoleState {
  exists: boolean;
  canLogin: boolean;
  /** the stored verifier (SCRAM-SHA-256$... or md5...), never shown */
  passwordHash: string | null;
  serverVersion: number;
}

/** A role as pg_authid holds it, and the server's version (major × 10000). */
export function pgRole(name: string): Fact<PgRoleState> {
  const sql = `select current_setting('server_version_num'), coalesce((select rolcanlogin::text || E'\\t' || coalesce(rolpassword, '') from pg_authid where rolname = ${sqlLiteral(name)}), '')`;
  return fact(`pg-role:${name}`, psqlArgs(sql), (r) => {
    checkServer(r, `reading PostgreSQL role ${name}`);
    const [version, canLogin, hash] = r.stdout.replace(/\n$/, '').split('\t');
    const serverVersion = Number(version);
    if (canLogin === undefined || canLogin === '') return { exists: false, canLogin: false, passwordHash: null, serverVersion };
    return { exists: true, canLogin: canLogin === 'true', passwordHash: hash || null, serverVersion };
  });
}

export interface PgDatabaseState {
  exists: boolean;
  owner: string;
}

export function pgDatabase(name: string): Fact<PgDatabaseState> {
  const sql = `select pg_get_userbyid(datdba) from pg_database where datname = ${sqlLiteral(name)}`;
  return fact(`pg-database:${name}`, psqlArgs(sql), (r) => {
    checkServer(r, `reading PostgreSQL database ${name}`);
    const owner = r.stdout.trim();
    return { exists: owner !== '', owner };
  });
}

export interface PostgresConfig {
  path: string;
  /** the major version of the cluster the file belongs to */
  major: number;
  state: FileState;
}

/** A config file of the installed PostgreSQL (/etc/postgresql/<highest version>/main/NAME): found on the host, never assumed. */
export function postgresConfig(name: 'postgresql.conf' | 'pg_hba.conf'): Fact<PostgresConfig | null> {
  const script = `v=$(ls /etc/postgresql 2>/dev/null | grep -E '^[0-9]+(\\.[0-9]+)?$' | sort -V | tail -n 1)
[ -n "$v" ] || { echo none; exit 0; }
echo "$v"
set -- "/etc/postgresql/$v/main/$1"
${READ_FILE}`;
  return fact(`pg-config:${name}`, shellScript(script, [name]), (r) => {
    if (r.code !== 0) throw new RemoteCommandError(`reading PostgreSQL's ${name}`, r.code, r.stderr);
    const nl = r.stdout.indexOf('\n');
    const version = r.stdout.slice(0, nl);
    if (version === 'none') return null;
    return { path: `/etc/postgresql/${version}/main/${name}`, major: Number(version), state: parseFileState(r.stdout.slice(nl + 1)) };
  });
}
