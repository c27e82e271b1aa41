import { createHash } from 'node:crypto';
import type { ClusterHost, ClusterView } from '../core/context.js';
import { quote } from '../core/command.js';
import { Secret, remember } from '../core/secret.js';
import { blueprints, controllers, loadBalancerUrl, namedBlueprint } from './topology.js';

/*
 * st2chatops (hubot with the StackStorm plugin) configured, not only installed: its env file
 * sourced by the package's start script, pointing at the load balancer, with an API key made
 * once for the cluster and the chat adapter's settings from the inventory.
 */

export const CHATOPS_ENV = '/opt/stackstorm/chatops/st2chatops.env';

/**
 * Where st2chatops runs: one controller. Two hubots would each answer every chat message; in
 * the tier it is the first controller, and the others never install it.
 */
export function chatopsController(cluster: ClusterView): ClusterHost | undefined {
  return controllers(cluster)[0];
}

/**
 * The blueprint st2prov asks to register the API key: the content node (where packs are
 * registered), reached directly, so the key is registered before the load balancer is even
 * needed. st2 keeps keys in MongoDB: any blueprint would do.
 */
export function apiNode(cluster: ClusterView): ClusterHost | undefined {
  const name = namedBlueprint(cluster, 'st2_content_node');
  return blueprints(cluster).find((b) => b.name === name);
}

/**
 * What st2 stores of an API key (st2common.util.hash): SHA-512 of a fixed salt and the key,
 * hex. Masked like the key wherever it might be shown (an API error echoing it): a fixed salt
 * does not keep a dictionary from a given key.
 */
export function apiKeyHash(key: string): string {
  const hash = createHash('sha512').update('saltnpeper').update(key).digest('hex');
  remember(hash);
  return hash;
}

/** The chat token's variable for an adapter, as hubot's adapters name it: HUBOT_SLACK_TOKEN for slack. */
export function tokenVariable(adapter: string): string {
  return `HUBOT_${adapter.toUpperCase().replace(/[^A-Z0-9]/g, '_')}_TOKEN`;
}

export interface ChatopsEnv {
  /** the load balancer, as clients reach it: st2_public_url */
  publicUrl: string;
  apiKey: Secret;
  adapter: string;
  botName: string;
  alias: string;
  token: Secret | undefined;
  /** the certificate clients see on the load balancer, which Node trusts for hubot */
  caFile: string;
}

/**
 * st2chatops.env, whole. The package's start script sources it with sh, so every value is
 * one shell word in single quotes (a quote inside written '\''): nothing in it is expanded.
 * A Secret, since it holds the API key and the chat token.
 */
export function chatopsEnv(env: ChatopsEnv): Secret {
  const vars: [string, string][] = [
    ['ST2_API_URL', `${env.publicUrl}/api`],
    ['ST2_AUTH_URL', `${env.publicUrl}/auth`],
    ['ST2_STREAM_URL', `${env.publicUrl}/stream`],
    ['ST2_WEBUI_URL', env.publicUrl],
    ['ST2_API_KEY', env.apiKey.reveal()],
    // the load balancer's certificate (self-signed unless given) trusted as it is, instead of NODE_TLS_REJECT_UNAUTHORIZED=0
    ['NODE_EXTRA_CA_CERTS', env.caFile],
    ['HUBOT_ADAPTER', env.adapter],
    ['HUBOT_NAME', env.botName],
    ['HUBOT_ALIAS', env.alias],
    ['HUBOT_LOG_LEVEL', 'info'],
    ['EXPRESS_PORT', '8081'],
    ...(env.token ? [[tokenVariable(env.adapter), env.token.reveal()] as [string, string]] : []),
  ];
  return new Secret([
    '# st2prov: st2chatops settings (sourced by sh). Managed file: edits are replaced on the next apply.',
    ...vars.map(([name, value]) => `export ${name}=${quote(value)}`),
    '',
  ].join('\n'));
}

/** The env file for this cluster's settings. */
export function chatopsEnvOf(cluster: ClusterView, apiKey: Secret): Secret {
  const s = cluster.settings;
  return chatopsEnv({
    publicUrl: loadBalancerUrl(cluster),
    apiKey,
    adapter: s.st2_chatops_adapter,
    botName: s.st2_chatops_bot_name,
    alias: s.st2_chatops_alias,
    token: s.st2_chatops_token,
    caFile: '/etc/ssl/st2/st2.crt',
  });
}
