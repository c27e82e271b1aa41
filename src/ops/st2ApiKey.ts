import { change } from '../core/change.js';
import { shellScript } from '../core/command.js';
import type { ClusterHost, HostContext } from '../core/context.js';
import { MissingInput } from '../core/errors.js';
import type { Operation } from '../core/operation.js';
import type { Secret } from '../core/secret.js';
import { httpRequest, type HttpRequest, type HttpResponse } from '../probes/http.js';
import { apiKeyHash } from '../stackstorm/chatops.js';

export interface ApiKeySpec {
  /** the key, made once on the control machine: st2 is given only its hash */
  key: Secret;
  /** whose key it is, and who registers it (st2auth's user and password) */
  user: string;
  password: Secret;
  /** where st2chatops runs: restarted once the key works, as it may have given up on the API */
  restartOn?: ClusterHost;
  /** what the key is for, in its metadata */
  usedBy: string;
}

/**
 * An st2 API key registered by its hash, the way `st2 apikey load` does: st2 never sees the
 * key, so the one kept in the state folder is the one that works, run after run. The fact is
 * whether st2 accepts the key; when not, st2prov logs in as the st2auth user (basic auth, a
 * token of 5 minutes) and posts the hash. Spoken to this blueprint's own st2auth and st2api
 * on 127.0.0.1 through the SSH connection, so the password travels in a request, never on a
 * command line, and never on the network.
 */
const ST2AUTH = 9100;
const ST2API = 9101;

export function st2ApiKey(spec: ApiKeySpec): Operation {
  // st2auth and st2api on this blueprint, as its nginx reaches them: they run once the services
  // step is done, when nginx may still serve its old configuration until the play's handlers
  const ask = (host: HostContext, port: number, request: HttpRequest) => httpRequest(host, '127.0.0.1', port, undefined, request);
  const accepted = async (host: HostContext): Promise<boolean> => {
    let answer: HttpResponse;
    try {
      answer = await ask(host, ST2API, { method: 'GET', path: '/v1/actions?limit=1', headers: { 'St2-Api-Key': spec.key.reveal() } });
    } catch (err) {
      // st2 not serving yet (a fresh cluster in a dry run): what the blueprint play starts
      throw new MissingInput(`st2 API (${(err as Error).message})`);
    }
    if (answer.status === 200) return true;
    if (answer.status === 401) return false;
    if (answer.status >= 500) throw new MissingInput(`st2 API (HTTP ${answer.status})`);
    throw new Error(`st2api's /v1/actions answered HTTP ${answer.status} to the API key`);
  };
  return {
    title: `st2 API key for ${spec.usedBy}`,
    async plan(host) {
      if (await accepted(host)) return [];
      return [change({
        kind: 'st2',
        summary: `register the ${spec.usedBy} API key with st2 (by its hash, user ${spec.user})${spec.restartOn ? `, then restart st2chatops on ${spec.restartOn.name}` : ''}`,
        apply: async () => {
          const basic = Buffer.from(`${spec.user}:${spec.password.reveal()}`).toString('base64');
          const login = await ask(host, ST2AUTH, { method: 'POST', path: '/v1/tokens', headers: { Authorization: `Basic ${basic}` }, body: { ttl: 300 } });
          if (login.status !== 201) throw new Error(`st2auth refused ${spec.user} (HTTP ${login.status}): is st2_auth_password the one st2 has?`);
          const token = (JSON.parse(login.body) as { token?: string }).token;
          if (!token || !/^[\w.-]+$/.test(token)) throw new Error(`st2auth answered without a token`);
          const made = await ask(host, ST2API, {
            method: 'POST',
            path: '/v1/apikeys',
            headers: { 'X-Auth-Token': token },
            body: { user: spec.user, key_hash: apiKeyHash(spec.key.reveal()), enabled: true, metadata: { used_by: spec.usedBy, made_by: 'st2prov' } },
          });
          if (made.status !== 201) throw new Error(`st2api's /v1/apikeys answered HTTP ${made.status}: ${made.body.slice(0, 200)}`);
          if (!(await accepted(host))) throw new Error('st2 took the API key but does not accept it');
          if (spec.restartOn) {
            const on = await host.on(spec.restartOn);
            await on.run('restart st2chatops, now that its API key works', { argv: shellScript('if [ -d /run/systemd/system ]; then exec systemctl restart st2chatops; fi; exec /etc/init.d/st2chatops restart') });
            on.forget();
          }
        },
      })];
    },
  };
}
