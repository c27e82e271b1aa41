import { createHash, createHmac, randomBytes } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterHost, ClusterView, HostContext, MaterialSpec } from '../core/context.js';
import { PlaybookError, UsageError, kindOf } from '../core/errors.js';
import { onceEach } from '../core/lazy.js';
import { localExecutor } from '../core/localExecutor.js';
import { Secret, generateSecret, isSecret } from '../core/secret.js';
import { apr1, saltFrom } from '../edit/htpasswd.js';
import { authUserSecret } from '../inventory/variables.js';
import type { TlsPair } from '../ops/tlsFiles.js';
import { blueprints, controllerAddress, controllerOf, controllers, isTier } from './topology.js';
import { st2Features } from './versions.js';
import { SETTING_FILE_LIMIT, readLocalFile } from '../facts/localFiles.js';

/*
 * What every host of the cluster must share, made once on the control machine and kept in
 * the inventory's state folder (0600): passwords, the datastore encryption key, the stanley
 * SSH key pair, the salt of the htpasswd line, the self-signed TLS pair, the cluster CA and
 * the blueprints' certificates it signs. Made per host, they would split the cluster.
 */

/** st2's datastore key, in the JSON form st2-generate-symmetric-crypto-key writes. */
export const DATASTORE_KEY: MaterialSpec = {
  name: 'datastore',
  files: ['datastore_key.json'],
  async make(dir) {
    const key = {
      hmacKey: { hmacKeyString: randomBytes(32).toString('base64url'), size: 256 },
      aesKeyString: randomBytes(32).toString('base64url'),
      mode: 'CBC',
      size: 256,
    };
    writeFileSync(join(dir, 'datastore_key.json'), JSON.stringify(key), { mode: 0o600 });
  },
};

/** The key pair st2 uses to run remote actions as stanley. */
export const STANLEY_KEYS: MaterialSpec = {
  name: 'stanley',
  files: ['stanley_rsa', 'stanley_rsa.pub'],
  publicFiles: ['stanley_rsa.pub'],
  async make(dir) {
    await localTool('ssh-keygen', ['-q', '-t', 'rsa', '-b', '4096', '-m', 'PEM', '-N', '', '-C', 'stanley@st2', '-f', join(dir, 'stanley_rsa')], 'the stanley key pair', 'install openssh-client on the control machine');
  },
};

/**
 * A self-signed pair naming the controller (its name and address), when no certificate is
 * given; in the tier, the virtual address clients use and every controller.
 */
export function selfSignedTls(cluster: ClusterView): MaterialSpec {
  const controller = isTier(cluster) ? { name: cluster.settings.lb_vip! } : controllerOf(cluster);
  const names = isTier(cluster) ? [cluster.settings.lb_vip!, ...controllers(cluster).flatMap((c) => [c.name, c.address])] : [controller.name, controllerAddress(cluster)];
  const san = [...new Set(names)].map((n) => (/^\d+\.\d+\.\d+\.\d+$/.test(n) ? `IP:${n}` : `DNS:${n}`)).join(',');
  return {
    name: 'tls',
    files: ['st2.crt', 'st2.key'],
    publicFiles: ['st2.crt'],
    async make(dir) {
      await localTool('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', `/CN=${controller.name}`, '-addext', `subjectAltName=${san}`, '-keyout', join(dir, 'st2.key'), '-out', join(dir, 'st2.crt')], 'the self-signed certificate', 'install openssl on the control machine, or set st2_tls_cert and st2_tls_key');
    },
  };
}

/** The secrets this cluster needs, by its settings: name → how to make one. */
export function clusterSecrets(cluster: ClusterView): Record<string, () => string> {
  const s = cluster.settings;
  return {
    rabbitmq_password: generateSecret,
    st2_auth_password: generateSecret,
    st2_auth_salt: () => saltFrom(randomBytes(8)),
    // the other st2auth users' passwords, when the inventory gives none
    ...Object.fromEntries(s.st2_auth_users.map((u) => [authUserSecret(u.name), generateSecret])),
    // Redis runs on the controller whatever the coordination backend: always with a password
    redis_password: generateSecret,
    ...(st2Features(s.st2_version).mistral ? { mistral_db_password: generateSecret } : {}),
    // st2 is given only its hash (see ops/st2ApiKey.ts)
    ...(s.st2_chatops ? { st2_chatops_api_key: () => generateSecret(32) } : {}),
    ...(isTier(cluster) ? {
      // Erlang's cookie: what lets the RabbitMQ nodes (and rabbitmqctl) talk to each other
      rabbitmq_erlang_cookie: () => generateSecret(32),
      // the Sentinels' admin user, and what they log in to each other with
      redis_sentinel_password: generateSecret,
      // VRRP's simple password: keepalived reads 8 characters
      vrrp_password: () => generateSecret(6),
      ...(st2Features(s.st2_version).mistral ? { postgresql_replication_password: generateSecret } : {}),
    } : {}),
  };
}

/** The material this cluster needs, by its settings. */
export function clusterMaterial(cluster: ClusterView): MaterialSpec[] {
  const s = cluster.settings;
  return [
    DATASTORE_KEY, STANLEY_KEYS, ...(s.st2_tls_cert ? [] : [selfSignedTls(cluster)]),
    CLUSTER_CA, ...blueprints(cluster).map(blueprintTls),
    ...(isTier(cluster) ? [TIER_NAMES] : []),
  ];
}

/** The names the tier's clusters go by, made once so two tiers on one network never mistake each other. */
export interface TierNames {
  /** MongoDB's replica set */
  replicaSet: string;
  /** the master Redis Sentinel watches */
  sentinelMaster: string;
  /** keepalived's VRRP instance on the controllers' network: 1 to 255 */
  vrrpRouterId: number;
}

export const TIER_NAMES: MaterialSpec = {
  name: 'tier',
  files: ['names.json'],
  publicFiles: ['names.json'],
  async make(dir) {
    const id = randomBytes(3).toString('hex');
    const names: TierNames = { replicaSet: `st2-${id}`, sentinelMaster: `st2-${id}`, vrrpRouterId: 1 + (randomBytes(1)[0]! % 255) };
    writeFileSync(join(dir, 'names.json'), `${JSON.stringify(names, null, 2)}\n`, { mode: 0o600 });
  },
};

/** The tier's names; before apply has made them, a dry run sees stand-ins that every output masks. */
export function tierNames(host: HostContext): { [K in keyof TierNames]: TierNames[K] | Secret } {
  const file = host.material(TIER_NAMES)['names.json']!;
  if (isSecret(file)) return { replicaSet: file, sentinelMaster: file, vrrpRouterId: file };
  return readTierNames(file);
}

/** names.json as TIER_NAMES made it; anything else (edited, restored from elsewhere) is refused, naming the file. */
export function readTierNames(text: string): TierNames {
  const refused = (problem: string) => new UsageError(`cannot read ${TIER_NAMES.name}/names.json in the state folder: ${problem}`, 'put back the copy st2prov made (from a backup): the tier’s replica set, Sentinel master and VRRP instance go by these names, and new ones would split it');
  let names: Partial<Record<keyof TierNames, unknown>>;
  try {
    names = JSON.parse(text) as typeof names;
  } catch (err) {
    throw refused((err as Error).message);
  }
  if (typeof names !== 'object' || names === null || Array.isArray(names)) throw refused(`it holds ${kindOf(names)}, not the tier's names`);
  for (const key of ['replicaSet', 'sentinelMaster'] as const) {
    if (typeof names[key] !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(names[key] as string)) throw refused(`${key} is ${kindOf(names[key])}, not a name of letters, digits, "_" and "-"`);
  }
  if (!Number.isInteger(names.vrrpRouterId) || (names.vrrpRouterId as number) < 1 || (names.vrrpRouterId as number) > 255) throw refused(`vrrpRouterId is ${kindOf(names.vrrpRouterId)}, not a whole number from 1 to 255`);
  return names as TierNames;
}

/**
 * A name of the tier as text for a config file: before apply has made them, the stand-in
 * (a secret's text, which every output masks), so a dry run shows no name apply would not write.
 */
export function tierName(host: HostContext, which: 'replicaSet' | 'sentinelMaster'): string {
  const value = tierNames(host)[which];
  return isSecret(value) ? value.reveal() : value;
}

/** The cluster's TLS pair: the given files, else the self-signed pair. */
export function tlsPair(host: HostContext): TlsPair {
  const s = host.cluster.settings;
  if (s.st2_tls_cert && s.st2_tls_key) {
    return { certificate: readLocalFile(s.st2_tls_cert, SETTING_FILE_LIMIT, 'st2_tls_cert').toString(), key: new Secret(readLocalFile(s.st2_tls_key, SETTING_FILE_LIMIT, 'st2_tls_key').toString()) };
  }
  const files = host.material(selfSignedTls(host.cluster));
  return { certificate: files['st2.crt']!, key: files['st2.key'] as Secret };
}

/**
 * The name every blueprint's certificate carries beside its own name and address, and the
 * one the load balancer verifies (nginx's proxy_ssl_name). nginx checks every member of an
 * upstream group against one name, so the blueprints share this one; what makes it
 * trustworthy is the issuer: only the cluster's own CA, which signs nothing else, is trusted.
 * `.internal` is reserved for private use: no public CA issues it.
 */
export const BLUEPRINT_TLS_NAME = 'blueprints.st2.internal';

/**
 * The cluster's own certificate authority: it signs each blueprint's certificate, and the
 * load balancer trusts it alone for its upstream. Its key stays in the state folder: the
 * blueprints' keys are made here too, so no host ever needs it.
 */
export const CLUSTER_CA: MaterialSpec = {
  name: 'cluster-ca',
  files: ['ca.crt', 'ca.key'],
  publicFiles: ['ca.crt'],
  async make(dir) {
    await localTool('openssl', ['req', '-x509', ...EC_KEY, '-nodes', '-days', '3650',
      '-subj', `/CN=st2prov cluster CA ${randomBytes(4).toString('hex')}`,
      '-addext', 'basicConstraints=critical,CA:TRUE,pathlen:0', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
      '-keyout', join(dir, 'ca.key'), '-out', join(dir, 'ca.crt')], 'the cluster CA', 'install openssl on the control machine');
  },
};

/**
 * A blueprint's certificate, signed by the cluster CA: its name and address and the shared
 * BLUEPRINT_TLS_NAME in the SAN. Kept under a name that holds a digest of those names, so a
 * blueprint that moves to another address gets a certificate of its new one.
 */
export function blueprintTls(blueprint: ClusterHost): MaterialSpec {
  const san = subjectAltName([BLUEPRINT_TLS_NAME, blueprint.name, blueprint.address]);
  const digest = createHash('sha256').update(san).digest('hex').slice(0, 8);
  return {
    name: `blueprint-${blueprint.name.replace(/[^A-Za-z0-9._-]/g, '_')}-${digest}`,
    files: ['blueprint.crt', 'blueprint.key'],
    publicFiles: ['blueprint.crt'],
    async make(dir, made) {
      const ca = await made(CLUSTER_CA);
      const path = (f: string) => join(dir, f);
      // the CA's key is in this private folder only while it signs
      writeFileSync(path('ca.crt'), String(ca['ca.crt']), { mode: 0o600 });
      writeFileSync(path('ca.key'), reveal(ca['ca.key']!), { mode: 0o600 });
      writeFileSync(path('extensions'), `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectAltName=${san}\n`, { mode: 0o600 });
      try {
        const what = `the certificate of blueprint ${blueprint.name}`;
        await localTool('openssl', ['req', '-new', ...EC_KEY, '-nodes', '-subj', `/CN=${BLUEPRINT_TLS_NAME}`, '-keyout', path('blueprint.key'), '-out', path('blueprint.csr')], what, 'install openssl on the control machine');
        await localTool('openssl', ['x509', '-req', '-in', path('blueprint.csr'), '-CA', path('ca.crt'), '-CAkey', path('ca.key'), '-set_serial', `0x${randomBytes(16).toString('hex')}`,
          '-days', '3650', '-extfile', path('extensions'), '-out', path('blueprint.crt')], what, 'install openssl on the control machine');
      } finally {
        for (const f of ['ca.crt', 'ca.key', 'extensions', 'blueprint.csr']) rmSync(path(f), { force: true });
      }
    },
  };
}

/** This blueprint's TLS pair, which its nginx serves to the load balancer. */
export function blueprintPair(host: HostContext): TlsPair {
  const files = host.material(blueprintTls(host.host));
  return { certificate: files['blueprint.crt']!, key: files['blueprint.key'] as Secret };
}

/** The cluster CA's certificate, which the load balancer verifies the blueprints with. */
export function clusterCaCertificate(host: HostContext): string | Secret {
  return host.material(CLUSTER_CA)['ca.crt']!;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1'];

/** An X.509 subjectAltName of these names: addresses as IP, host names as DNS; anything else (it could inject entries) left out. */
export function subjectAltName(names: readonly string[]): string {
  const entries = names.map((n) => {
    if (/^\d{1,3}(\.\d{1,3}){3}$/.test(n) || (n.includes(':') && /^[0-9A-Fa-f:.]+$/.test(n))) return `IP:${n}`;
    if (/^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/.test(n)) return `DNS:${n}`;
    return undefined;
  });
  return [...new Set(entries.filter((e) => e !== undefined))].join(',');
}

function reveal(part: string | Secret): string {
  return isSecret(part) ? part.reveal() : part;
}

/**
 * The st2auth users file: st2_auth_username with st2_auth_password, then each user of
 * st2_auth_users with its own. Salted from the cluster's salt (each user's salt derived from
 * it by name), so every blueprint gets the same bytes and an unchanged password an unchanged file.
 */
export function htpasswd(host: HostContext): Secret {
  const s = host.cluster.settings;
  const salt = host.secret('st2_auth_salt').reveal();
  const lines = [`${s.st2_auth_username}:${apr1Once(host.secret('st2_auth_password').reveal(), salt)}`];
  for (const user of s.st2_auth_users) {
    const userSalt = saltFrom(createHmac('sha256', salt).update(user.name).digest());
    lines.push(`${user.name}:${apr1Once(host.secret(authUserSecret(user.name)).reveal(), userSalt)}`);
  }
  return new Secret(`${lines.join('\n')}\n`);
}

/** APR1 is slow on purpose (a thousand MD5 rounds) and every blueprint asks for the same lines: each is worked out once a run. */
const apr1Once = onceEach(apr1);

/** Runs a tool of the control machine (ssh-keygen, openssl) without holding up the run's connections. */
async function localTool(cmd: string, args: string[], what: string, remedy: string): Promise<void> {
  const r = await localExecutor.exec({ argv: [cmd, ...args] });
  if (r.code !== 0) throw new PlaybookError(`cannot make ${what}: ${r.stderr || `${cmd} exited ${r.code}`}`, remedy);
}
