import type { ClusterHost } from '../core/context.js';
import type { Check } from '../core/operation.js';
import { isSecret, type Secret } from '../core/secret.js';
import { fileState, fileText } from '../facts/files.js';
import { httpStatus } from '../probes/http.js';
import { isDrained, memberPath, putBackRemedy } from '../stackstorm/loadBalancer.js';

/**
 * The load balancer (this host) reaches every blueprint's API over TLS, the blueprint's
 * certificate verified as nginx verifies it: signed by the cluster CA, for the blueprints' name.
 * `ca` is a stand-in Secret when the state folder has no CA yet (a cluster apply has not updated).
 */
export function loadBalancerReaches(blueprints: readonly ClusterHost[], ca: string | Secret, servername: string): Check {
  return {
    title: 'load balancer reaches the blueprints',
    verify: (host) => Promise.all(blueprints.map(async (b) => {
      const check = `load balancer reaches ${b.name} (https://${b.address}/api/), its certificate signed by the cluster CA`;
      if (isSecret(ca)) return { check, ok: false, detail: 'the state folder has no cluster CA yet: run st2prov apply' };
      try {
        const status = await httpStatus(host, b.address, 443, '/api/v1/', { ca, servername });
        const code = Number(status.split(' ')[1]);
        return { check, ok: code > 0 && code < 500, detail: status };
      } catch (err) {
        return { check, ok: false, detail: (err as Error).message };
      }
    })),
  };
}

/**
 * The load balancer (this host) sends requests to every blueprint: each one's member file in
 * the upstream folder names its address and is not `down`. A blueprint a killed or failed
 * rolling run left drained still answers, so only its member file shows that it is left out.
 */
export function upstreamServes(blueprints: readonly ClusterHost[]): Check {
  const files = () => blueprints.map((b) => fileState(memberPath(b.name)));
  return {
    title: 'the load balancer sends requests to every blueprint',
    facts: files,
    verify: (host) => Promise.all(blueprints.map(async (b) => {
      const check = `load balancer sends requests to ${b.name} (${memberPath(b.name)})`;
      try {
        const path = memberPath(b.name);
        const state = await host.fact(fileState(path));
        return { check, ...memberVerdict(b, state.exists ? (await fileText(host, path, state, 'reading a member file')).content : undefined) };
      } catch (err) {
        return { check, ok: false, detail: (err as Error).message };
      }
    })),
  };
}

/** What a blueprint's member file (its text; undefined: there is none) says about it: serving, drained, or not (rightly) there. */
export function memberVerdict(b: ClusterHost, content: string | undefined): { ok: boolean; detail: string } {
  const path = memberPath(b.name);
  if (content === undefined) return { ok: false, detail: `${path} does not exist, so the upstream leaves ${b.name} out: st2prov apply writes it` };
  const server = `${b.address}:443`;
  const named = content.split('\n').some((l) => {
    const [word, target] = l.trim().split(/\s+/);
    return word === 'server' && target?.replace(/;$/, '') === server;
  });
  if (!named) {
    return { ok: false, detail: `${path} does not name ${server}: st2prov apply writes it` };
  }
  if (isDrained(content)) {
    return { ok: false, detail: `drained (down in ${path}): left out of the load balancer by a run that stopped or failed in its turn; unless an st2prov run is in that turn now, ${putBackRemedy(b.name)}` };
  }
  return { ok: true, detail: `serves at ${server}` };
}
