import type { HostContext } from '../core/context.js';
import { MASK, remember } from '../core/secret.js';
import { asciiJson, osloDollars, osloValue } from '../edit/iniFile.js';

/** Where st2auth's flat_file backend reads its users: the htpasswd st2prov writes the same on every blueprint. */
export const HTPASSWD = '/etc/st2/htpasswd';

/**
 * st2.conf's `[auth] backend` and `backend_kwargs`, as the file holds them: the htpasswd
 * file, or StackStorm's LDAP backend (st2-auth-ldap) with the same servers and bind
 * account on every blueprint. backend_kwargs is JSON inside an INI value: JSON-escaped,
 * then `$` doubled for oslo.config. A diff of st2.conf hides the old password too: see
 * redactAuthKwargs.
 */
export function authBackend(host: HostContext): { backend: string; kwargs: string } {
  const s = host.cluster.settings;
  // written as StackStorm's own st2.conf has it, so clusters made before keep their file
  if (s.st2_auth_backend !== 'ldap') return { backend: 'flat_file', kwargs: `{"file_path": ${asciiJson(HTPASSWD)}}` };
  const password = s.st2_auth_ldap_bind_password!.reveal();
  // the form the password takes in the file, masked in every output like the password itself
  remember(osloDollars(asciiJson(password).slice(1, -1)));
  const kwargs = {
    bind_password: password,
    bind_dn: s.st2_auth_ldap_bind_dn,
    base_ou: s.st2_auth_ldap_base_ou,
    group_dns: s.st2_auth_ldap_group_dns,
    group_dns_check: s.st2_auth_ldap_group_dns_check,
    host: s.st2_auth_ldap_host.join(','),
    port: s.st2_auth_ldap_port,
    use_ssl: s.st2_auth_ldap_use_ssl,
    use_tls: s.st2_auth_ldap_use_tls,
    ...(s.st2_auth_ldap_cacert ? { cacert: s.st2_auth_ldap_cacert } : {}),
    ...(s.st2_auth_ldap_id_attr ? { id_attr: s.st2_auth_ldap_id_attr } : {}),
  };
  return { backend: 'ldap', kwargs: osloValue(asciiJson(kwargs)) };
}

/**
 * A line of st2.conf as a diff may show it: in `backend_kwargs`, the value of every key that
 * names a password is masked, whatever the order of the keys and whoever wrote it, so an old
 * bind password st2prov never knew (the backend switched back to the htpasswd, a line written
 * by hand) is not shown either.
 */
export function redactAuthKwargs(line: string): string {
  if (!/^\s*backend_kwargs\s*=/.test(line)) return line;
  return line.replace(/("[^"\\]*pass[^"\\]*"\s*:\s*")(?:[^"\\]|\\.)*(")/gi, `$1${MASK}$2`);
}
