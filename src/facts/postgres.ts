import { MissingInput, RemoteCommandError } from '../core/errors.js';
import type { ExecResult } from '../core/command.js';
import { shellScript } from '../core/command.js';
import { fact, familyFact, type Fact } from '../core/fact.js';
import { READ_FILE, parseFileState, type FileState } from './files.js';

/** psql as the postgres superuser; runuser where util-linux has it, sudo otherwise. */
export function asPostgres(argv: readonly string[]): string[] {
  // from /: psql warns when it cannot enter the caller's folder (root's home)
  return shellScript('cd / || exit; if command -v runuser >/dev/null 2>&1; then exec runuser -u postgres -- "$@"; else exec sudo -n -u postgres -- "$@"; fi', [...argv]);
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
  const text = `current_setting('server_version_num') || E'\\t' || coalesce((select rolcanlogin::text || E'\\t' || coalesce(rolpassword, '') from pg_authid where rolname = ${sqlLiteral(name)}), '')`;
  return pgText(text, `reading PostgreSQL role ${name}`, (row) => {
    const [version, canLogin, hash] = row.split('\t');
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
  const text = `coalesce((select pg_get_userbyid(datdba) from pg_database where datname = ${sqlLiteral(name)}), '')`;
  return pgText(text, `reading PostgreSQL database ${name}`, (owner) => ({ exists: owner !== '', owner }));
}

/*
 * A text the server works out (an SQL expression), read by psql as the postgres superuser.
 * Texts asked together are read by one psql: psql is Debian's Perl wrapper, and it and
 * runuser cost more than the queries. Each text comes back on a line of its own in base64,
 * whatever it holds.
 */
function pgText<T>(text: string, purpose: string, value: (text: string) => T): Fact<T> {
  return familyFact('psql', [text], pgTexts, (answers, [mine], all) => {
    const answer = answers[all.indexOf(mine!)];
    if (answer === undefined) throw new RemoteCommandError(purpose, null, 'psql output cut short');
    return value(answer);
  });
}

function pgTexts(texts: readonly string[]): Fact<string[]> {
  const commands = texts.flatMap((t) => ['-c', `select translate(encode(convert_to(${t}, 'UTF8'), 'base64'), E'\\n', '')`]);
  return fact(`psql:${texts.join('\n')}`, asPostgres(['psql', '-X', '-A', '-t', '-q', '-v', 'ON_ERROR_STOP=1', ...commands]), (r) => {
    checkServer(r, 'reading PostgreSQL');
    const lines = r.stdout.split('\n');
    if (lines.pop() !== '' || lines.length !== texts.length) throw new RemoteCommandError('reading PostgreSQL', r.code, 'psql output cut short');
    return lines.map((l) => Buffer.from(l, 'base64').toString());
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
