import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Secret, mask } from '../../../src/core/secret.js';
import { apiKeyHash, apiNode, chatopsController, chatopsEnv, chatopsEnvOf, tokenVariable } from '../../../src/stackstorm/chatops.js';
import { clusterSecrets } from '../../../src/stackstorm/material.js';
import { BLUEPRINTS, TIER, clusterOf } from '../../harness/clusters.js';
import { tempDir } from '../../harness/tempDir.js';

/** What sh reads back from the env file, as the package's start script sources it: name → value. */
function sourced(text: string, names: string[]): Record<string, string> {
  const file = join(tempDir('chatops'), 'st2chatops.env');
  writeFileSync(file, text);
  const r = spawnSync('sh', ['-c', `. "$1" && for n in ${names.join(' ')}; do eval "printf '%s\\0' \\"\\$$n\\""; done`, 'sh', file], { encoding: 'utf8', env: { PATH: process.env.PATH } });
  assert.equal(r.status, 0, r.stderr);
  const values = r.stdout.split('\0').slice(0, -1);
  return Object.fromEntries(names.map((n, i) => [n, values[i]!]));
}

describe('st2chatops configured', () => {
  const HOSTILE = [`it's "quoted" $HOME \`id\` $(id) \\ back\\slash; rm -rf / # not a comment`, ' leading and trailing ', '', "'", '$', '\\', 'a\nb', '!x', '* ?'];

  it('the env file gives sh back every value exactly, however hostile', () => {
    for (const value of HOSTILE) {
      const text = chatopsEnv({ publicUrl: 'https://10.0.3.10', apiKey: new Secret(`k${value}`), adapter: 'slack', botName: value, alias: value, token: new Secret(value), caFile: '/etc/ssl/st2/st2.crt' }).reveal();
      const back = sourced(text, ['HUBOT_NAME', 'HUBOT_ALIAS', 'HUBOT_SLACK_TOKEN', 'ST2_API_KEY', 'HUBOT_ADAPTER']);
      assert.deepEqual(back, { HUBOT_NAME: value, HUBOT_ALIAS: value, HUBOT_SLACK_TOKEN: value, ST2_API_KEY: `k${value}`, HUBOT_ADAPTER: 'slack' }, JSON.stringify(value));
    }
  });

  it('points st2chatops at the load balancer (st2_public_url, else the controller or lb_vip), trusting its certificate', () => {
    const one = chatopsEnvOf(clusterOf(BLUEPRINTS(1, 'st2_chatops=true')), new Secret('KEY')).reveal();
    const back = sourced(one, ['ST2_API_URL', 'ST2_AUTH_URL', 'ST2_STREAM_URL', 'ST2_WEBUI_URL', 'ST2_API_KEY', 'NODE_EXTRA_CA_CERTS', 'HUBOT_ADAPTER', 'HUBOT_NAME', 'HUBOT_ALIAS']);
    assert.deepEqual(back, {
      ST2_API_URL: 'https://10.0.3.10/api', ST2_AUTH_URL: 'https://10.0.3.10/auth', ST2_STREAM_URL: 'https://10.0.3.10/stream', ST2_WEBUI_URL: 'https://10.0.3.10',
      ST2_API_KEY: 'KEY', NODE_EXTRA_CA_CERTS: '/etc/ssl/st2/st2.crt', HUBOT_ADAPTER: 'slack', HUBOT_NAME: 'hubot', HUBOT_ALIAS: '!',
    });
    assert.doesNotMatch(one, /TOKEN|NODE_TLS_REJECT_UNAUTHORIZED/, 'no token given, none written; TLS is verified');
    const tier = chatopsEnvOf(clusterOf(TIER(2, 'st2_chatops=true\nst2_chatops_adapter=mattermost\nst2_chatops_token=t0k')), new Secret('KEY')).reveal();
    assert.deepEqual(sourced(tier, ['ST2_API_URL', 'HUBOT_ADAPTER', 'HUBOT_MATTERMOST_TOKEN']), { ST2_API_URL: 'https://10.0.3.5/api', HUBOT_ADAPTER: 'mattermost', HUBOT_MATTERMOST_TOKEN: 't0k' });
    const own = chatopsEnvOf(clusterOf(BLUEPRINTS(1, 'st2_public_url=https://st2.example.com/')), new Secret('KEY')).reveal();
    assert.equal(sourced(own, ['ST2_STREAM_URL']).ST2_STREAM_URL, 'https://st2.example.com/stream');
  });

  it('the env file is a secret: its API key and token are masked in any output', () => {
    const env = chatopsEnv({ publicUrl: 'https://c', apiKey: new Secret('the-api-key-value'), adapter: 'slack', botName: 'b', alias: '!', token: new Secret('xoxb-chat-token'), caFile: '/x' });
    assert.equal(String(env), '********');
    assert.doesNotMatch(mask(`+${env.reveal().split('\n').join('\n+')}`), /the-api-key-value|xoxb-chat-token/);
  });

  it('the token’s variable is the adapter’s: HUBOT_<ADAPTER>_TOKEN', () => {
    assert.equal(tokenVariable('slack'), 'HUBOT_SLACK_TOKEN');
    assert.equal(tokenVariable('rocket.chat'), 'HUBOT_ROCKET_CHAT_TOKEN');
  });

  it('the API key is given to st2 as st2 stores it: SHA-512 of its fixed salt and the key', () => {
    assert.equal(apiKeyHash('KEY1'), createHash('sha512').update('saltnpeperKEY1').digest('hex'));
    assert.equal(apiKeyHash('KEY1').length, 128);
    // a fixed salt keeps no dictionary from a given key: the hash is masked like the key
    assert.equal(mask(`{"key_hash": "${apiKeyHash('KEY1')}"}`), '{"key_hash": "********"}');
  });

  it('st2chatops runs on exactly one controller (the first, in the tier too); its key is registered from the content node', () => {
    assert.equal(chatopsController(clusterOf(TIER(2)))!.name, 'c1');
    assert.equal(chatopsController(clusterOf(BLUEPRINTS(2)))!.name, 'c');
    assert.equal(apiNode(clusterOf(BLUEPRINTS(3)))!.name, 'b1');
    assert.equal(apiNode(clusterOf(BLUEPRINTS(3, 'st2_content_node=b3')))!.name, 'b3');
  });

  it('the API key is a cluster secret made once, only when st2chatops is asked for', () => {
    assert.ok('st2_chatops_api_key' in clusterSecrets(clusterOf(BLUEPRINTS(1, 'st2_chatops=true'))));
    assert.ok(!('st2_chatops_api_key' in clusterSecrets(clusterOf(BLUEPRINTS(1)))));
    assert.ok(!('st2_chatops_token' in clusterSecrets(clusterOf(BLUEPRINTS(1, 'st2_chatops=true')))), 'a chat token is never made up');
  });
});
