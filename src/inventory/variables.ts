import { lazy } from '../core/lazy.js';
import { Secret, isSecret } from '../core/secret.js';

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
  /** a raw inventory value (string, number, boolean, Secret) → the typed value; throws a SettingProblem */
  parse(raw: unknown): T;
  /** masked in every output */
  secret?: boolean;
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

/** Comma- or space-separated words. */
const list = (): Variable<string[]> => ({ scope: 'cluster', fallback: [], parse: (raw) => oneLine(raw).split(/[\s,]+/).filter(Boolean) });

/** A name written into config files and URLs as it is: no separators, no spaces. */
function name(fallback: string): Variable<string> {
  return {
    scope: 'cluster',
    fallback,
    parse(raw) {
      const value = oneLine(raw);
      if (!/^[A-Za-z0-9_.-]+$/.test(value)) throw new SettingProblem(`"${value}" cannot be used as a user name`, 'use letters, digits, "_", "." and "-"');
      return value;
    },
  };
}

/** A host name or IP address (no scheme, no port, no spaces). */
function address(scope: Scope = 'cluster'): Variable<string | undefined> {
  return {
    scope,
    fallback: undefined,
    parse(raw) {
      const value = oneLine(raw).trim();
      if (!/^[A-Za-z0-9_.:-]+$/.test(value)) throw new SettingProblem(`"${value}" is not a host name or IP address`);
      return value;
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

function url(): Variable<string | undefined> {
  return {
    scope: 'cluster',
    fallback: undefined,
    parse(raw) {
      const value = oneLine(raw).trim().replace(/\/+$/, '');
      if (!/^https?:\/\/[^\s/]+(\/\S*)?$/.test(value)) throw new SettingProblem(`"${value}" is not an http(s) URL`, 'write it like https://st2.example.com');
      return value;
    },
  };
}

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

/** A file or folder on the control machine; settings.ts resolves it against the inventory's folder. */
const localPath = (scope: Scope = 'cluster'): Variable<string | undefined> => ({ scope, fallback: undefined, parse: (raw) => oneLine(raw) || undefined });
const localFolder = (fallback: string): Variable<string> => ({ scope: 'cluster', fallback, parse: (raw) => oneLine(raw) || fallback });

/** Variables that name files or folders on the control machine. */
export const LOCAL_PATHS = ['st2_repo_key', 'st2_tls_cert', 'st2_tls_key', 'sensor_partitions_file', 'packs_dir'] as const;

export const PARTITIONINGS = ['default', 'hash', 'file', 'kvstore'] as const;
export const COORDINATION_BACKENDS = ['redis', 'zookeeper', 'file'] as const;
export const PG_HBA_METHODS = ['scram-sha-256', 'md5', 'trust'] as const;

export const VARIABLES = {
  // how st2prov reaches each host (Ansible's names)
  ansible_host: address('host'),
  ansible_port: optionalInteger(1, 65535, 'host'),
  ansible_user: optionalText('host'),
  ansible_ssh_private_key_file: localPath('host'),
  ansible_ssh_common_args: optionalText('host'),
  ansible_ssh_extra_args: optionalText('host'),
  ansible_become: bool(false, 'host'),
  ansible_become_user: text('root', 'host'),
  ansible_become_password: secret('host'),
  ansible_become_pass: secret('host'),
  ansible_ssh_pass: secret('host'),

  // the StackStorm cluster
  st2_version: version('3.8.1'),
  st2_package_revision: integer(1, 1, 999),
  st2_repo: text('stable'),
  st2_repo_key: localPath(),
  st2_repo_suite: text('./'),
  st2_repo_components: list(),
  controller_address: address(),
  lb_vip: address(),
  lb_vip_interface: networkInterface(),
  st2_public_url: url(),
  mongodb_package: name('mongodb-server'),
  pg_hba_network: list(),
  pg_hba_method: optionalOneOf(PG_HBA_METHODS),
  postgresql_primary: address(),
  rabbitmq_user: name('st2'),
  coordination_backend: oneOf(COORDINATION_BACKENDS, 'redis'),
  coordination_url: optionalText(),
  st2_auth_username: name('st2admin'),
  st2_tls_cert: localPath(),
  st2_tls_key: localPath(),
  sensor_partitioning: oneOf(PARTITIONINGS, 'default'),
  sensor_partitions_file: localPath(),
  st2_timers_node: address(),
  st2_garbagecollector_node: address(),
  st2_content_node: address(),
  packs_dir: localFolder('packs'),
  packs_delete: bool(false),
  st2_chatops: bool(false),
  st2_chatops_adapter: chatAdapter('slack'),
  st2_chatops_bot_name: text('hubot'),
  st2_chatops_alias: text('!'),

  // cluster secrets: given, env:NAME, or generated once and kept in the state folder
  mistral_db_password: secret(),
  rabbitmq_password: secret(),
  redis_password: secret(),
  st2_auth_password: secret(),
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

/** Every variable, typed: what playbooks, ops and checks read. */
export type Settings = { readonly [K in VariableName]: (typeof VARIABLES)[K] extends Variable<infer T> ? T : never };

/**
 * Secret by name, for variables st2prov does not know (a playbook of your own): names with
 * password, passwd, pass, secret or token in them, ending in _key, or starting with vault_.
 * st2prov's own variables say it in the table above.
 */
export function isSecretName(variable: string): boolean {
  const known = (VARIABLES as Record<string, Variable<unknown>>)[variable];
  if (known?.secret) return true;
  return /(password|passwd|secret|token)|_pass$|_key$|^vault_/i.test(variable);
}
