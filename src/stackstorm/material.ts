import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ClusterView, HostContext, MaterialSpec } from '../core/context.js';
import { PlaybookError } from '../core/errors.js';
import { Secret, generateSecret } from '../core/secret.js';
import { apr1, saltFrom } from '../edit/htpasswd.js';
import type { TlsPair } from '../ops/tlsFiles.js';
import { controllerAddress, controllerOf } from './topology.js';
import { st2Features } from './versions.js';

/*
 * What every host of the cluster must share, made once on the control machine and kept in
 * the inventory's state folder (0600): passwords, the datastore encryption key, the stanley
 * SSH key pair, the salt of the htpasswd line, the self-signed TLS pair. Made per host,
 * they would split the cluster.
 */

/** st2's datastore key, in the JSON form st2-generate-symmetric-crypto-key writes. */
export const DATASTORE_KEY: MaterialSpec = {
  name: 'datastore',
  files: ['datastore_key.json'],
  make(dir) {
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
  make(dir) {
    localTool('ssh-keygen', ['-q', '-t', 'rsa', '-b', '4096', '-m', 'PEM', '-N', '', '-C', 'stanley@st2', '-f', join(dir, 'stanley_rsa')], 'the stanley key pair', 'install openssh-client on the control machine');
  },
};

/** A self-signed pair naming the controller (its name and address), when no certificate is given. */
export function selfSignedTls(cluster: ClusterView): MaterialSpec {
  const controller = controllerOf(cluster);
  const address = controllerAddress(cluster);
  const san = [`DNS:${controller.name}`, /^\d+\.\d+\.\d+\.\d+$/.test(address) ? `IP:${address}` : `DNS:${address}`].join(',');
  return {
    name: 'tls',
    files: ['st2.crt', 'st2.key'],
    publicFiles: ['st2.crt'],
    make(dir) {
      localTool('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', `/CN=${controller.name}`, '-addext', `subjectAltName=${san}`, '-keyout', join(dir, 'st2.key'), '-out', join(dir, 'st2.crt')], 'the self-signed certificate', 'install openssl on the control machine, or set st2_tls_cert and st2_tls_key');
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
    // Redis runs on the controller whatever the coordination backend: always with a password
    redis_password: generateSecret,
    ...(st2Features(s.st2_version).mistral ? { mistral_db_password: generateSecret } : {}),
  };
}

/** The material this cluster needs, by its settings. */
export function clusterMaterial(cluster: ClusterView): MaterialSpec[] {
  const s = cluster.settings;
  return [DATASTORE_KEY, STANLEY_KEYS, ...(s.st2_tls_cert ? [] : [selfSignedTls(cluster)])];
}

/** The cluster's TLS pair: the given files, else the self-signed pair. */
export function tlsPair(host: HostContext): TlsPair {
  const s = host.cluster.settings;
  if (s.st2_tls_cert && s.st2_tls_key) return { certificate: readFileSync(s.st2_tls_cert, 'utf8'), key: new Secret(readFileSync(s.st2_tls_key, 'utf8')) };
  const files = host.material(selfSignedTls(host.cluster));
  return { certificate: files['st2.crt']!, key: files['st2.key'] as Secret };
}

/** The st2auth users file: st2_auth_username with st2_auth_password, salted once for the cluster. */
export function htpasswd(host: HostContext): Secret {
  const password = host.secret('st2_auth_password');
  const salt = host.secret('st2_auth_salt').reveal();
  return new Secret(`${host.cluster.settings.st2_auth_username}:${apr1(password.reveal(), salt)}\n`);
}

function localTool(cmd: string, args: string[], what: string, remedy: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new PlaybookError(`cannot make ${what}: ${r.stderr || r.error}`, remedy);
}
