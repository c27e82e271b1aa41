import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlaybookError } from '../errors.js';
import type { HostContext } from '../engine/hostContext.js';
import { Secret } from '../secrets.js';
import { addressOf, controllerOf } from './topology.js';

export interface TlsMaterial {
  certificate: string;
  key: Secret;
}

/**
 * The cluster's TLS certificate and key: the files named by st2_tls_cert / st2_tls_key on
 * the control machine, or a self-signed pair for the controller's name and address made
 * once and kept in the state folder. The same pair serves the load balancer and every
 * blueprint's TLS termination.
 */
export function tlsMaterial(host: HostContext): TlsMaterial {
  const certFile = host.vars.st2_tls_cert;
  const keyFile = host.vars.st2_tls_key;
  if (certFile || keyFile) {
    if (!certFile || !keyFile) throw new PlaybookError('st2_tls_cert and st2_tls_key go together', 'set both, or neither for a self-signed pair');
    return { certificate: readFileSync(String(certFile), 'utf8'), key: new Secret(readFileSync(String(keyFile), 'utf8')) };
  }
  const controller = controllerOf(host.cluster);
  const address = addressOf(controller);
  const san = [`DNS:${controller.name}`, /^\d+\.\d+\.\d+\.\d+$/.test(address) ? `IP:${address}` : `DNS:${address}`].join(',');
  const files = host.secrets.material('tls', (dir) => {
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '3650', '-subj', `/CN=${controller.name}`, '-addext', `subjectAltName=${san}`, '-keyout', join(dir, 'st2.key'), '-out', join(dir, 'st2.crt')], { encoding: 'utf8' });
    if (r.status !== 0) throw new PlaybookError(`cannot make the self-signed certificate: ${r.stderr || r.error}`, 'install openssl on the control machine, or set st2_tls_cert and st2_tls_key');
  }, ['st2.crt', 'st2.key']);
  return { certificate: files['st2.crt']!, key: new Secret(files['st2.key']!) };
}
