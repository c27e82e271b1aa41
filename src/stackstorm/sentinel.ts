import { createHash, createHmac } from 'node:crypto';
import { remember } from '../core/secret.js';
import type { RedisEdit } from '../edit/redisConf.js';

/*
 * Redis in the controller tier: a master and two replicas, watched by a Sentinel on each
 * controller, which elects a new master when one dies. Redis and Sentinel rewrite their own
 * config files (Sentinel on every change of its view; Redis when Sentinel makes it a replica),
 * so st2prov sets what it owns by meaning and leaves what they own to them: which Redis
 * replicates which, and which is the master Sentinel watches, once the first apply seeded it.
 */

export const SENTINEL_PORT = 26379;
export const REDIS_PORT = 6379;
/** Sentinel's admin user: its password is redis_sentinel_password */
export const SENTINEL_ADMIN = 'st2prov';
/** the user each Sentinel logs in to Redis as (a user of Redis, not of Sentinel) */
export const SENTINEL_REDIS_USER = 'st2prov-sentinel';

/*
 * Sentinel writes its whole file again on every change of its view, and writes the passwords
 * it holds (`sentinel auth-pass`, `sentinel sentinel-pass`) as they are, unquoted: a password
 * with a space, a quote or a backslash comes back as a line Sentinel cannot read, and it does
 * not start again. So sentinel.conf never holds a password given by the operator: Sentinel
 * logs in with tokens made from them (hex, nothing to quote), to a Redis user of its own and
 * as a second password of its admin user. Users' passwords are kept as hashes, which Sentinel
 * rewrites unharmed.
 */
export function sentinelToken(secret: string, purpose: 'redis' | 'sentinel'): string {
  const token = createHmac('sha256', secret).update(`st2prov ${purpose} login`).digest('hex');
  remember(token);
  return token;
}
/** Sentinels that must agree a master is down before one of them fails it over */
export const SENTINEL_QUORUM = 2;
/** how long a master may stay silent before Sentinel calls it down: a failover takes a few seconds more */
export const DOWN_AFTER_MS = 5000;
export const FAILOVER_TIMEOUT_MS = 60000;

/*
 * What the default (password-less) user of Sentinel may still do: find the master. st2's
 * coordination driver (tooz, 2.8 in StackStorm 3.x) asks Sentinel without a password (it has
 * no option to give one before tooz 6), then logs in to the master with Redis' password.
 * Everything that changes Sentinel (SET, FAILOVER, RESET, REMOVE, MONITOR, CONFIG) needs the
 * admin user. Sentinel's users arrived in Redis 6.2.
 */
const DISCOVERY = ['masters', 'master', 'get-master-addr-by-name', 'replicas', 'slaves', 'sentinels'].map((c) => `+sentinel|${c}`);

/**
 * A password as an ACL rule holds it: `#` and its SHA-256, unsalted, which a dictionary
 * reverses for a weak password as well as the password itself. It is masked in every output
 * like the password (file diffs show these lines redacted too: see redactRedisSecrets).
 */
function aclHash(password: string): string {
  const rule = `#${createHash('sha256').update(password).digest('hex')}`;
  remember(rule);
  return rule;
}

/** An ACL user line's rules (after `user NAME`) hold a password: as its hash, or in clear. */
function hasPassword(rules: readonly string[], password: string): boolean {
  return rules.includes(aclHash(password)) || rules.includes(`>${password}`);
}

/**
 * redis.conf on each controller: on its own address, with the password, and the password to
 * the master once it is a replica. A `user default` line CONFIG REWRITE added is kept while it
 * carries this password (it would override requirepass if it did not).
 */
export function redisServerEdit(address: string, password: string): RedisEdit {
  const token = sentinelToken(password, 'redis');
  return {
    set: [
      { id: ['bind'], args: [address, '127.0.0.1'] },
      { id: ['requirepass'], args: [password] },
      { id: ['masterauth'], args: [password] },
      {
        id: ['user', SENTINEL_REDIS_USER],
        args: ['on', aclHash(token), '~*', '&*', '+@all'],
        same: (rules) => rules.includes('on') && hasPassword(rules, token) && rules.includes('+@all'),
      },
    ],
    drop: (args) => args[0]?.toLowerCase() === 'user' && args[1] === 'default' && !hasPassword(args.slice(2), password),
  };
}

export interface SentinelSpec {
  /** the master's name (kept in the state folder) */
  master: string;
  /** the first master, before Sentinel knows better: the first controller */
  seed: string;
  address: string;
  redisPassword: string;
  sentinelPassword: string;
}

/** sentinel.conf on each controller. */
export function sentinelEdit(s: SentinelSpec): RedisEdit {
  const peer = sentinelToken(s.sentinelPassword, 'sentinel');
  return {
    set: [
      { id: ['port'], args: [String(SENTINEL_PORT)] },
      { id: ['bind'], args: [s.address, '127.0.0.1'] },
      // bound to the controllers' addresses and guarded by its users: the default check for "no password" is not needed
      { id: ['protected-mode'], args: ['no'] },
      { id: ['sentinel', 'monitor', s.master], args: [s.seed, String(REDIS_PORT), String(SENTINEL_QUORUM)], seedOnly: true },
      { id: ['sentinel', 'auth-user', s.master], args: [SENTINEL_REDIS_USER] },
      { id: ['sentinel', 'auth-pass', s.master], args: [sentinelToken(s.redisPassword, 'redis')] },
      { id: ['sentinel', 'down-after-milliseconds', s.master], args: [String(DOWN_AFTER_MS)] },
      { id: ['sentinel', 'failover-timeout', s.master], args: [String(FAILOVER_TIMEOUT_MS)] },
      {
        id: ['user', 'default'],
        args: ['on', 'nopass', 'resetchannels', '-@all', '+ping', '+auth', '+hello', ...DISCOVERY],
        // Sentinel rewrites the rules in its own words (+ping +auth +hello become +@fast ...): judged by what they allow
        same: (rules) => rules.includes('on') && rules.includes('nopass') && rules.includes('-@all') && !rules.includes('+@all') && DISCOVERY.every((d) => rules.includes(d)),
      },
      {
        id: ['user', SENTINEL_ADMIN],
        args: ['on', aclHash(s.sentinelPassword), aclHash(peer), '~*', '&*', '+@all'],
        same: (rules) => rules.includes('on') && hasPassword(rules, s.sentinelPassword) && hasPassword(rules, peer) && rules.includes('+@all'),
      },
      // the Sentinels log in to each other as the admin user, with its second password
      { id: ['sentinel', 'sentinel-user'], args: [SENTINEL_ADMIN] },
      { id: ['sentinel', 'sentinel-pass'], args: [peer] },
    ],
    // the package's example master (127.0.0.1, "mymaster") and everything Sentinel learnt about it
    drop: (args) => args[0]?.toLowerCase() === 'sentinel' && args.length > 2 && args[2] === 'mymaster' && s.master !== 'mymaster',
  };
}
