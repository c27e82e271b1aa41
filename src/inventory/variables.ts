import { lazy } from '../core/lazy.js';
import { Secret, isSecret, rememberUrlCredentials } from '../core/secret.js';

/** only the function it uses: the whole of semver is some 50 modules to load */
const coerce = lazy<typeof import('semver').coerce>('semver/functions/coerce');

/**
 * Every variable st2prov reads, with its type, its default and what it accepts: the one
 * place a default is written. Values are parsed once per host (see settings.ts); nobody
 * reads a raw inventory string. A variable is `cluster` wide (every host must agree; set it
 * anywhere, it holds for all) or per `host` (how st2prov reaches that host).
 */
export type Scope = 'cluster' | 'host';

export interface Variable<T> {
  scope: Scope;
  /** the value when the inventory does not set it */
  fallback: T;
  /** a raw inventory value (string, number, boolean, Secret, a YAML list or mapping) → the typed value; throws a SettingProblem */
  parse(raw: unknown, context?: ParseContext): T;
  /** masked in every output */
  secret?: boolean;
}

/** What a value may refer to besides itself: the environment, for `env:NAME` inside a list. */
export interface ParseContext {
  env: NodeJS.ProcessEnv;
}

/** Why a value was refused, and what to write instead; settings.ts adds the file:line. */
export class SettingProblem extends Error {
  constructor(problem: string, readonly remedy?: string) {
    super(problem);
  }
}

/** Ansible's booleans: yes/no, true/false, on/off, 1/0, any case. */
export function parseBoolean(raw: unknown): boolean {
  if (typeof raw === 'boolean') return raw;
  const text = String(raw).trim().toLowerCase();
  if (['yes', 'true', 'on', '1', 'y'].includes(text)) return true;
  if (['no', 'false', 'off', '0', 'n', ''].includes(text)) return false;
  throw new SettingProblem(`"${raw}" is not a boolean`, 'write yes/no, true/false, on/off or 1/0');
}

function oneLine(raw: unknown): string {
  const text = isSecret(raw) ? raw.reveal() : String(raw);
  if (/[\r\n\0]/.test(text)) throw new SettingProblem('the value holds a line break or NUL, which no config file st2prov writes can hold on one line', 'write it on one line');
  return text;
}

const text = (fallback: string, scope: Scope = 'cluster'): Variable<string> => ({ scope, fallback, parse: (raw) => oneLine(raw) });
const optionalText = (scope: Scope = 'cluster'): Variable<string | undefined> => ({ scope, fallback: undefined, parse: (raw) => oneLine(raw) || undefined });

const bool = (fallback: boolean, scope: Scope = 'cluster'): Variable<boolean> => ({ scope, fallback, parse: parseBoolean });

function integer(fallback: number, min: number, max: number, scope: Scope = 'cluster'): Variable<number> {
  return {
    scope,
    fallback,
    parse(raw) {
      const text = String(raw).trim();
      if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) throw new SettingProblem(`"${raw}" is not a whole number from ${min} to ${max}`);
      return Number(text);
    },
  };
}

function optionalInteger(min: number, max: number, scope: Scope = 'cluster'): Variable<number | undefined> {
  const strict = integer(min, min, max, scope);
  return { scope, fallback: undefined, parse: strict.parse };
}

function oneOf<T extends string>(values: readonly T[], fallback: T): Variable<T> {
  return {
    scope: 'cluster',
    fallback,
    parse(raw) {
      const value = oneLine(raw).trim();
      if (!(values as readonly string[]).includes(value)) throw new SettingProblem(`"${value}" is not one of ${values.join(', ')}`, `use ${values.join(', ')}`);
      return value as T;
    },
  };
}

function optionalOneOf<T extends string>(values: readonly T[]): Variable<T | undefined> {
  const strict = oneOf(values, values[0]!);
  return { scope: 'cluster', fallback: undefined, parse: (raw) => strict.parse(raw) };
}

/*
 * Values that end up as arguments of a command on the hosts (rabbitmqctl's user, apt-get's
 * package, st2-pack-install's pack, pg_basebackup's host, git's URL) never start with "-":
 * the command would read one as an option (git clone --upload-pack=..., apt-get -o...).
 * None that names a user, a package, a host or a pack ever does.
 */
function notAnOption(value: string, what: string): string {
  if (value.startsWith('-')) throw new SettingProblem(`"${value}" starts with "-", which the commands it is given to would read as an option, not as ${what}`, `write ${what} as it is named; none starts with "-"`);
  return value;
}

/** Comma- or space-separated words. */
const list = (): Variable<string[]> => ({ scope: 'cluster', fallback: [], parse: (raw) => oneLine(raw).split(/[\s,]+/).filter(Boolean) });

/** A user name written into config files and URLs and given to commands as it is: no separators, no spaces. */
function name(fallback: string): Variable<string> {
  return {
    scope: 'cluster',
    fallback,
    parse(raw) {
      const value = oneLine(raw);
      if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new SettingProblem(`"${value}" cannot be used as a user name`, 'use letters, digits, "_", "." and "-"');
      return notAnOption(value, 'a user name');
    },
  };
}

/** A Debian package's name, as apt-get is given it (Debian policy: lower case, digits, + - .). */
function packageName(fallback: string): Variable<string> {
  return {
    scope: 'cluster',
    fallback,
    parse(raw) {
      const value = notAnOption(oneLine(raw).trim(), 'a package name');
      if (!/^[a-z0-9][a-z0-9+.-]+$/.test(value)) throw new SettingProblem(`"${value}" is not a Debian package name`, 'write it as apt names it: lower-case letters, digits, "+", "-" and ".", e.g. mongodb-org');
      return value;
    },
  };
}

/** The user st2prov logs in as, or becomes with sudo: given to ssh and sudo. */
const account = <T extends string | undefined>(fallback: T): Variable<string | T> => ({
  scope: 'host',
  fallback,
  parse(raw) {
    const value = oneLine(raw);
    return value === '' ? fallback : notAnOption(value, 'a user name');
  },
});

/** A host name or IP address (no scheme, no port, no spaces). */
function address(scope: Scope = 'cluster'): Variable<string | undefined> {
  return {
    scope,
    fallback: undefined,
    parse(raw) {
      const value = oneLine(raw).trim();
      if (!/^[A-Za-z0-9_.:-]+$/.test(value)) throw new SettingProblem(`"${value}" is not a host name or IP address`);
      return notAnOption(value, 'a host name or IP address');
    },
  };
}

/** A network interface's name, as the kernel allows it. */
const networkInterface = (): Variable<string | undefined> => ({
  scope: 'cluster',
  fallback: undefined,
  parse(raw) {
    const value = oneLine(raw).trim();
    if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(value)) throw new SettingProblem(`"${value}" is not a network interface name`, 'give the name `ip -o addr` shows on the controllers, e.g. eth0');
    return value;
  },
});

const version = (fallback: string): Variable<string> => ({
  scope: 'cluster',
  fallback,
  parse(raw) {
    // YAML and inline INI values read 3.10 as the number 3.1: a version must be written as text
    if (typeof raw === 'number' && !Number.isInteger(raw)) throw new SettingProblem(`the number ${raw} is not a version`, 'write it as text: "3.10" in quotes in YAML, or in [group:vars] in INI');
    const value = coerce()(oneLine(raw))?.version;
    if (!value) throw new SettingProblem(`"${raw}" is not a version`, 'write it like 2.10.4 or 3.8.1');
    return value;
  },
});

/** `scheme://user…@`: a URL that carries credentials (masked where shown: see core/secret.ts). */
const USERINFO = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i;

function url(): Variable<string | undefined> {
  return {
    scope: 'cluster',
    fallback: undefined,
    parse(raw) {
      const value = oneLine(raw).trim().replace(/\/+$/, '');
      if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(value)) throw new SettingProblem(`"${value}" is not an http(s) URL`, 'write it like https://st2.example.com');
      // clients of the load balancer send none, and it is written into st2.conf and st2chatops' environment
      if (USERINFO.test(value)) throw new SettingProblem('the URL holds a user or password before "@", which the clients of the load balancer never send', 'write it without them: https://st2.example.com');
      return value;
    },
  };
}

/**
 * st2_repo: a packagecloud repository's name or a mirror's URL. A mirror's credentials in
 * its URL would be in a sources file every user of the hosts may read (apt wants them in
 * auth.conf) and in every output.
 */
const repository = (fallback: string): Variable<string> => ({
  scope: 'cluster',
  fallback,
  parse(raw) {
    const value = oneLine(raw).trim();
    if (USERINFO.test(value)) throw new SettingProblem('the mirror\'s URL holds a user or password before "@", which would stand in a sources file every user of the hosts may read', 'write the URL without them, and give apt the login in /etc/apt/auth.conf.d/ on the hosts (man apt_auth.conf)');
    return value;
  },
});

/**
 * coordination_url: the URL of a coordination backend of your own, as tooz reads it
 * (`zookeeper://host:2181,host2:2181`, `redis://:PASSWORD@host:6379`, `...?password=`). Its
 * credentials are remembered as secrets, so they are masked also where they stand alone.
 */
const connectionUrl = (): Variable<string | undefined> => ({
  scope: 'cluster',
  fallback: undefined,
  parse(raw) {
    const value = oneLine(raw).trim();
    if (value === '') return undefined;
    rememberUrlCredentials(value);
    if (!/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(value)) throw new SettingProblem('it is not a URL', 'write it as tooz reads it, like zookeeper://10.0.3.5:2181 or redis://:PASSWORD@10.0.3.5:6379');
    return value;
  },
});

/** A password or token: given, from the environment (env:NAME), or generated once when left out. */
const secret = (scope: Scope = 'cluster'): Variable<Secret | undefined> => ({
  scope,
  secret: true,
  fallback: undefined,
  parse(raw) {
    const value = oneLine(raw);
    return value === '' ? undefined : isSecret(raw) ? raw : new Secret(value);
  },
});

/**
 * Erlang's cookie, which the RabbitMQ nodes and rabbitmqctl read from one file: Erlang takes
 * printable ASCII only (up to 255 characters), and its CLI tools trim the ends.
 */
const erlangCookie = (): Variable<Secret | undefined> => ({
  ...secret(),
  parse(raw) {
    const value = secret().parse(raw);
    if (value && !/^[!-~](?:[ -~]{0,253}[!-~])?$/.test(value.reveal())) {
      throw new SettingProblem('an Erlang cookie is printable ASCII (no accents, tabs or spaces at either end), at most 255 characters', 'leave it out and st2prov makes one, or use letters and digits');
    }
    return value;
  },
});

/** An st2auth user of the htpasswd file; without a password, one is made once and kept. */
export interface AuthUser {
  readonly name: string;
  readonly password: Secret | undefined;
}

/** htpasswd's user field: no ':' (its separator), no space or line break; what StackStorm user names look like. */
const AUTH_USER_NAME = /^[A-Za-z0-9_.@+-]{1,128}$/;

/**
 * st2auth users besides st2_auth_username: a list of `name` or `name:password` (comma- or
 * space-separated, or a YAML list), or a YAML mapping name → password. A password may be
 * `env:NAME`; left out or empty, it is made once. Errors never repeat a password.
 */
const authUsers = (): Variable<AuthUser[]> => ({
  scope: 'cluster',
  fallback: [],
  parse(raw, context) {
    const env = context?.env ?? process.env;
    let entries: [string, unknown][];
    if (raw && typeof raw === 'object' && !Array.isArray(raw) && !isSecret(raw)) {
      entries = Object.entries(raw as Record<string, unknown>);
    } else {
      const items = Array.isArray(raw) ? raw : oneLine(raw).split(/[\s,]+/).filter(Boolean);
      entries = items.map((item, i) => {
        if (typeof item !== 'string') throw new SettingProblem(`item ${i + 1} is not a user name`, 'list names, or name:password, or use a mapping name: password');
        const colon = item.indexOf(':');
        return colon < 0 ? [item, undefined] : [item.slice(0, colon), item.slice(colon + 1)];
      });
    }
    const users: AuthUser[] = [];
    for (const [i, [name, password]] of entries.entries()) {
      // the entry is not repeated: in a list, a password with a comma or space reads as more entries
      if (!AUTH_USER_NAME.test(name)) throw new SettingProblem(`entry ${i + 1} ${name === '' ? 'has no user name' : 'is not an st2auth user name'}`, 'use letters, digits and "_", ".", "@", "+", "-" (no ":" or spaces), at most 128 characters; a password with spaces or commas goes in env:NAME or a YAML mapping');
      const before = users.findIndex((u) => u.name === name);
      if (before >= 0) throw new SettingProblem(`entries ${before + 1} and ${i + 1} name the same user`, 'list each user once');
      users.push({ name, password: userPassword(name, password, env) });
    }
    return users;
  },
});

/** The secret's name a user's password is kept under in the state folder (and asked for by the playbooks). */
export function authUserSecret(user: string): string {
  return `st2_auth_users.${user}`;
}

/** The user whose password a secret's name stands for, if it is one. */
export function authUserOfSecret(secret: string): string | undefined {
  return secret.startsWith('st2_auth_users.') ? secret.slice('st2_auth_users.'.length) : undefined;
}

function userPassword(user: string, raw: unknown, env: NodeJS.ProcessEnv): Secret | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw === 'object' && !isSecret(raw)) throw new SettingProblem(`the password of user "${user}" is a list or mapping`, 'give it as text, env:NAME, or leave it empty to have one made');
  let text = isSecret(raw) ? raw.reveal() : String(raw);
  if (text.startsWith('env:')) {
    const found = env[text.slice(4)];
    if (found === undefined) throw new SettingProblem(`the password of user "${user}" refers to environment variable ${text.slice(4)}, which is not set`, `export ${text.slice(4)}=... before running st2prov`);
    text = found;
  }
  if (/[\r\n\0]/.test(text)) throw new SettingProblem(`the password of user "${user}" holds a line break or NUL`, 'give a password on one line');
  return text === '' ? undefined : new Secret(text);
}

/** The LDAP servers of st2auth's ldap backend: host names or addresses, written comma-separated as the backend reads them. */
const hostList = (): Variable<string[]> => ({
  scope: 'cluster',
  fallback: [],
  parse(raw) {
    const hosts = (Array.isArray(raw) ? raw.map(String) : oneLine(raw).split(/[\s,]+/)).filter(Boolean);
    const bad = hosts.find((h) => !/^[A-Za-z0-9_.:[\]-]+$/.test(h) || h.startsWith('-'));
    if (bad !== undefined) throw new SettingProblem(`"${bad}" is not a host name or IP address`, 'list host names or addresses, comma-separated (no scheme, no port: the port is st2_auth_ldap_port)');
    return hosts;
  },
});

/** Distinguished names: a YAML list, or separated by ";" (a DN holds commas). */
const dnList = (): Variable<string[]> => ({
  scope: 'cluster',
  fallback: [],
  parse(raw) {
    const items = Array.isArray(raw) ? raw.map((v) => oneLine(v)) : oneLine(raw).split(';');
    return items.map((d) => d.trim()).filter(Boolean);
  },
});

/** A hubot adapter: the npm package hubot-NAME (slack, mattermost, irc, ...). */
const chatAdapter = (fallback: string): Variable<string> => ({
  scope: 'cluster',
  fallback,
  parse(raw) {
    const value = oneLine(raw).trim();
    if (!/^[a-z0-9][a-z0-9._-]*$/.test(value)) throw new SettingProblem(`"${value}" is not a hubot adapter name`, 'write it as hubot names it: slack, mattermost, irc, ...');
    return value;
  },
});

/**
 * A pack st2-pack-install installs on every blueprint: from the StackStorm Exchange by name
 * (the newest, or `name=version`), or from a git repository (`URL`, or `URL=ref` for a tag,
 * branch or commit). `spec` is what st2-pack-install is given, as written.
 */
export interface DeclaredPack {
  /** the folder under /opt/stackstorm/packs: the name, or the repository's last path segment without ".git" and "stackstorm-" */
  readonly name: string;
  /** `name=version`: the version pack.yaml must say */
  readonly version?: string;
  /** a git repository's URL */
  readonly url?: string;
  /** `URL=ref`: the tag, branch or commit checked out */
  readonly ref?: string;
  readonly spec: string;
}

/** StackStorm's pack refs: lower-case letters, digits and "_" (st2common's PACK_REF_WHITELIST). */
const PACK_NAME = /^[a-z0-9_]+$/;
/** The packs st2 itself ships in /opt/stackstorm/packs: its package owns them. */
export const ST2_OWN_PACKS = ['chatops', 'core', 'default', 'linux', 'packs'] as const;
const GIT_URL = /^(?:(?:https?|git|ssh|file):\/\/[^\s=]+|[A-Za-z0-9_.][A-Za-z0-9_.-]*@[A-Za-z0-9_.-]+:[^\s=]+)$/;
const PACK_VERSION = /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?$/;
const GIT_REF = /^[A-Za-z0-9._][A-Za-z0-9._/+-]*$/;

/** One entry of st2_packs, or a SettingProblem naming the entry by its place (never its URL's credentials). */
export function parsePackEntry(entry: string, place: string): DeclaredPack {
  // st2-pack-install (argparse) and the git clone it runs would take it for an option (--upload-pack=...)
  if (entry.startsWith('-')) throw new SettingProblem(`${place} starts with "-", which st2-pack-install and git would read as an option`, 'write a pack name, name=1.2.0, a git URL or URL=ref; none starts with "-"');
  const eq = entry.lastIndexOf('=');
  const [source, pin] = eq < 0 ? [entry, undefined] : [entry.slice(0, eq), entry.slice(eq + 1)];
  if (/^[a-z][a-z0-9+.-]*:\/\/|@/.test(source)) {
    if (!GIT_URL.test(source)) throw new SettingProblem(`${place} is not a git URL`, 'write https://host/path/name.git, ssh://…, git@host:path/name.git or file:///path, optionally =REF');
    // a token in the URL (https://TOKEN@host/…) would be on the hosts' command lines and in every output
    if (/^(?:https?|git|file):\/\/[^/]*@/.test(source) || /^ssh:\/\/[^/@]*:[^/@]*@/.test(source)) throw new SettingProblem(`${place} holds credentials in its URL, which would show in every output and on the hosts' command lines`, 'give the blueprints a deploy key (ssh://git@host/… or git@host:…) or a git credential helper, and the URL without them');
    if (pin !== undefined && !GIT_REF.test(pin)) throw new SettingProblem(`${place} has "${pin}" after "=", which is not a git ref`, 'write URL=TAG, URL=BRANCH or URL=COMMIT, or the URL alone');
    const last = source.replace(/\/+$/, '').split(/[/:]/).pop()!.replace(/\.git$/, '').replace(/^stackstorm-/, '');
    const name = last.replace(/-/g, '_');
    if (!PACK_NAME.test(name)) throw new SettingProblem(`${place}: its repository's name "${last}" does not give a pack name (lower-case letters, digits and "_")`, 'install it from a repository named after the pack (its pack.yaml ref), or put the pack in packs_dir');
    return { name, url: source, ...(pin !== undefined ? { ref: pin } : {}), spec: entry };
  }
  if (!PACK_NAME.test(source)) throw new SettingProblem(`${place} ("${source}") is not a pack name`, 'a pack name is lower-case letters, digits and "_"; a git repository is a URL');
  if (pin !== undefined && !PACK_VERSION.test(pin)) throw new SettingProblem(`${place} asks for version "${pin}" of ${source}, which is not a pack version`, `write ${source}=1.2.0 (a pack's version, as its pack.yaml has it), or ${source} alone for the newest`);
  return { name: source, ...(pin !== undefined ? { version: pin } : {}), spec: entry };
}

/**
 * st2_packs: packs by name (`name`, `name=1.2.0`) or git URL (`URL`, `URL=ref`), comma- or
 * space-separated, or a YAML list; each pack once, none of st2's own.
 */
const declaredPacks = (): Variable<DeclaredPack[]> => ({
  scope: 'cluster',
  fallback: [],
  parse(raw) {
    const items = Array.isArray(raw) ? raw : oneLine(raw).split(/[\s,]+/).filter(Boolean);
    const packs: DeclaredPack[] = [];
    for (const [i, item] of items.entries()) {
      if (typeof item !== 'string' && typeof item !== 'number') throw new SettingProblem(`entry ${i + 1} is a list or mapping`, 'write each pack as text: name, name=1.2.0, URL or URL=ref');
      const pack = parsePackEntry(oneLine(item).trim(), `entry ${i + 1}`);
      if ((ST2_OWN_PACKS as readonly string[]).includes(pack.name)) throw new SettingProblem(`entry ${i + 1} is ${pack.name}, a pack st2 itself ships and its package updates`, 'leave it out: it comes with st2');
      const before = packs.findIndex((p) => p.name === pack.name);
      if (before >= 0) throw new SettingProblem(`entries ${before + 1} and ${i + 1} are both the pack ${pack.name}`, 'declare each pack once');
      packs.push(pack);
    }
    return packs;
  },
});

/** A file or folder on the control machine; settings.ts resolves it against the inventory's folder. */
const localPath = (scope: Scope = 'cluster'): Variable<string | undefined> => ({ scope, fallback: undefined, parse: (raw) => oneLine(raw) || undefined });
const localFolder = (fallback: string): Variable<string> => ({ scope: 'cluster', fallback, parse: (raw) => oneLine(raw) || fallback });

/** Variables that name files or folders on the control machine. */
export const LOCAL_PATHS = ['st2_repo_key', 'st2_tls_cert', 'st2_tls_key', 'sensor_partitions_file', 'packs_dir'] as const;

export const PARTITIONINGS = ['default', 'hash', 'file', 'kvstore'] as const;
export const COORDINATION_BACKENDS = ['redis', 'zookeeper', 'file'] as const;
export const PG_HBA_METHODS = ['scram-sha-256', 'md5', 'trust'] as const;
export const AUTH_BACKENDS = ['flat_file', 'ldap'] as const;

export const VARIABLES = {
  // how st2prov reaches each host (Ansible's names)
  ansible_host: address('host'),
  ansible_port: optionalInteger(1, 65535, 'host'),
  ansible_user: account(undefined),
  ansible_ssh_private_key_file: localPath('host'),
  ansible_ssh_common_args: optionalText('host'),
  ansible_ssh_extra_args: optionalText('host'),
  ansible_become: bool(false, 'host'),
  ansible_become_user: account('root'),
  ansible_become_password: secret('host'),
  ansible_become_pass: secret('host'),
  ansible_ssh_pass: secret('host'),

  // the StackStorm cluster
  st2_version: version('3.8.1'),
  st2_package_revision: integer(1, 1, 999),
  st2_repo: repository('stable'),
  st2_repo_key: localPath(),
  st2_repo_suite: text('./'),
  st2_repo_components: list(),
  controller_address: address(),
  lb_vip: address(),
  lb_vip_interface: networkInterface(),
  st2_public_url: url(),
  mongodb_package: packageName('mongodb-server'),
  pg_hba_network: list(),
  pg_hba_method: optionalOneOf(PG_HBA_METHODS),
  postgresql_primary: address(),
  rabbitmq_user: name('st2'),
  coordination_backend: oneOf(COORDINATION_BACKENDS, 'redis'),
  coordination_url: connectionUrl(),
  st2_auth_username: name('st2admin'),
  st2_auth_users: authUsers(),
  st2_auth_backend: oneOf(AUTH_BACKENDS, 'flat_file'),
  st2_auth_ldap_host: hostList(),
  st2_auth_ldap_port: integer(389, 1, 65535),
  st2_auth_ldap_use_ssl: bool(false),
  st2_auth_ldap_use_tls: bool(false),
  st2_auth_ldap_cacert: optionalText(),
  st2_auth_ldap_bind_dn: optionalText(),
  st2_auth_ldap_base_ou: optionalText(),
  st2_auth_ldap_group_dns: dnList(),
  st2_auth_ldap_group_dns_check: oneOf(['and', 'or'] as const, 'and'),
  st2_auth_ldap_id_attr: optionalText(),
  st2_tls_cert: localPath(),
  st2_tls_key: localPath(),
  sensor_partitioning: oneOf(PARTITIONINGS, 'default'),
  sensor_partitions_file: localPath(),
  st2_timers_node: address(),
  st2_garbagecollector_node: address(),
  st2_content_node: address(),
  packs_dir: localFolder('packs'),
  packs_delete: bool(false),
  st2_packs: declaredPacks(),
  st2_chatops: bool(false),
  st2_chatops_adapter: chatAdapter('slack'),
  st2_chatops_bot_name: text('hubot'),
  st2_chatops_alias: text('!'),

  // cluster secrets: given, env:NAME, or generated once and kept in the state folder
  mistral_db_password: secret(),
  rabbitmq_password: secret(),
  redis_password: secret(),
  st2_auth_password: secret(),
  // the LDAP server's: given or env:NAME, never made
  st2_auth_ldap_bind_password: secret(),
  // st2chatops: the chat service's token (given or none) and the API key (generated once)
  st2_chatops_token: secret(),
  st2_chatops_api_key: secret(),
  // the controller tier's: shared by its three hosts
  rabbitmq_erlang_cookie: erlangCookie(),
  redis_sentinel_password: secret(),
  vrrp_password: secret(),
  postgresql_replication_password: secret(),
} satisfies Record<string, Variable<unknown>>;

export type VariableName = keyof typeof VARIABLES;

/** A variable st2prov knows, by its own name only: `constructor` or `toString` is none of them. */
export function isVariable(name: string): name is VariableName {
  return Object.hasOwn(VARIABLES, name);
}

/** Every variable, typed: what playbooks, ops and checks read. */
export type Settings = { readonly [K in VariableName]: (typeof VARIABLES)[K] extends Variable<infer T> ? T : never };

/**
 * Secret by name, for variables st2prov does not know (a playbook of your own): names with
 * password, passwd, pass, secret or token in them, ending in _key, or starting with vault_.
 * st2prov's own variables say it in the table above.
 */
export function isSecretName(variable: string): boolean {
  if (isVariable(variable) && (VARIABLES[variable] as Variable<unknown>).secret) return true;
  return /(password|passwd|secret|token)|_pass$|_key$|^vault_/i.test(variable);
}
