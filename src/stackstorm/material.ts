import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PlaybookError } from '../errors.js';
import type { HostContext } from '../engine/hostContext.js';
import { apr1, saltFrom } from '../edit/htpasswd.js';
import { Secret } from '../secrets.js';

/*
 * Material every blueprint must share, made once on the control machine and kept in the
 * inventory's state folder (mode 0600): the datastore encryption key, the stanley SSH key
 * pair, and the htpasswd of st2auth. Made per blueprint, they would split the cluster.
 */

/** st2's datastore key, in the JSON form st2-generate-symmetric-crypto-key writes. */
export function datastoreKey(host: HostContext): Secret {
  const files = host.secrets.material('datastore', (dir) => {
    const key = {
      hmacKey: { hmacKeyString: randomBytes(32).toString('base64url'), size: 256 },
      aesKeyString: randomBytes(32).toString('base64url'),
      mode: 'CBC',
      size: 256,
    };
    writeFileSync(join(dir, 'datastore_key.json'), JSON.stringify(key), { mode: 0o600 });
  }, ['datastore_key.json']);
  return new Secret(files['datastore_key.json']!);
}

/** The key pair st2 uses to run remote actions as stanley. */
export function stanleyKeyPair(host: HostContext): { privateKey: Secret; publicKey: string } {
  const files = host.secrets.material('stanley', (dir) => {
    const r = spawnSync('ssh-keygen', ['-q', '-t', 'rsa', '-b', '4096', '-m', 'PEM', '-N', '', '-C', 'stanley@st2', '-f', join(dir, 'stanley_rsa')], { encoding: 'utf8' });
    if (r.status !== 0) throw new PlaybookError(`cannot make the stanley key pair: ${r.stderr || r.error}`, 'install openssh-client on the control machine');
  }, ['stanley_rsa', 'stanley_rsa.pub']);
  return { privateKey: new Secret(files['stanley_rsa']!), publicKey: files['stanley_rsa.pub']! };
}

/** The st2auth users file: st2_auth_username (default st2admin) with st2_auth_password. */
export function htpasswd(host: HostContext): Secret {
  const user = String(host.vars.st2_auth_username ?? 'st2admin');
  if (!/^[^:\s]+$/.test(user)) throw new PlaybookError(`st2_auth_username "${user}" cannot be written to htpasswd`, 'use a name without ":" or spaces');
  const password = host.secret('st2_auth_password');
  const salt = host.secrets.get('st2_auth_salt', () => saltFrom(randomBytes(8)));
  return new Secret(`${user}:${apr1(password.reveal(), salt.reveal())}\n`);
}
