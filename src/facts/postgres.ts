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

export interface PgReplicationState {
  /** this server is a standby (in recovery) */
  inRecovery: boolean;
  /** its data directory, where a base backup goes */
  dataDirectory: string;
  /** the database st2prov made on the primary: a server that holds it has been a primary */
  hasMistral: boolean;
  /** the standby's WAL receiver: its status (streaming, ...) and the primary it follows */
  receiver: { status: string; host: string } | undefined;
  /** standbys streaming from this server (the primary's view): their addresses and states */
  standbys: { address: string; state: string }[];
  /** the password a standby's primary_conninfo holds (PostgreSQL 12 on), never shown */
  conninfoPassword: string | undefined;
}

/*
 * pg_stat_wal_receiver (and its conninfo, password masked) arrived in PostgreSQL 9.6,
 * primary_conninfo as a setting in 12: the query asks only what the server has.
 */
const REPLICATION_SQL = `v=$(psql -X -A -t -q -c 'show server_version_num') || exit
if [ "$v" -ge 90600 ]; then
  receiver="coalesce((select status || ' ' || coalesce(substring(conninfo from 'host=([^ ]+)'), '') from pg_stat_wal_receiver limit 1), '')"
else
  receiver="''"
fi
[ "$v" -ge 120000 ] && conninfo="coalesce(current_setting('primary_conninfo', true), '')" || conninfo="''"
exec psql -X -A -t -q -v ON_ERROR_STOP=1 -F '	' -c "select pg_is_in_recovery()::text, current_setting('data_directory'),
  (select count(*) from pg_database where datname = 'mistral')::text, $receiver,
  coalesce((select string_agg(host(client_addr) || ' ' || state, ',') from pg_stat_replication), ''), $conninfo"`;

/** Whether this server is a primary or a standby, and what streams to or from it. */
export function pgReplication(): Fact<PgReplicationState> {
  return fact('pg-replication', asPostgres(['sh', '-c', REPLICATION_SQL, 'sh']), (r) => {
    checkServer(r, 'reading PostgreSQL replication');
    return parsePgReplication(r.stdout);
  });
}

export function parsePgReplication(stdout: string): PgReplicationState {
  const [recovery, dir, mistral, receiver, standbys, conninfo] = stdout.replace(/\n$/, '').split('\t');
  const [status, host] = (receiver ?? '').split(' ');
  return {
    inRecovery: recovery === 'true',
    dataDirectory: dir ?? '',
    hasMistral: mistral === '1',
    receiver: status ? { status, host: host ?? '' } : undefined,
    standbys: (standbys ?? '').split(',').filter(Boolean).map((s) => {
      const [address, state] = s.split(' ');
      return { address: address ?? '', state: state ?? '' };
    }),
    conninfoPassword: conninfo ? conninfoValue(conninfo, 'password') : undefined,
  };
}

/** One keyword's value of a libpq connection string (key=value, values in single quotes with \\ escapes). */
export function conninfoValue(conninfo: string, key: string): string | undefined {
  const re = /\s*([A-Za-z_]+)\s*=\s*('((?:[^'\\]|\\.)*)'|\S+)/gy;
  let m: RegExpExecArray | null;
  while ((m = re.exec(conninfo))) {
    if (m[1] !== key) continue;
    return m[3] !== undefined ? m[3].replace(/\\(.)/g, '$1') : m[2];
  }
  return undefined;
}
