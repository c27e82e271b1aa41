import assert from 'node:assert/strict';
import { request } from 'node:https';
import { appendFileSync } from 'node:fs';
import { beforeEach, describe, it } from 'node:test';
import { changeLines, failures, st2prov, type CliRun } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { LB_VIP } from '../lab/config.js';
import { bootHost, killHost } from '../lab/lab.js';

/**
 * The controller tier on the lab: three controllers and two blueprints. Each controller in
 * turn is lost as a whole host (its link cut, every process of it SIGKILLed): the load
 * balancer's virtual address answers again within 10 s and keeps answering, every blueprint
 * still reaches each dependency, `check` names the lost host and finds the cluster serving
 * without it once the dependencies have failed over (within 90 s). Booted again, the host is
 * rejoined by a plain apply and `check` passes whole.
 */
const RECOVERY_MS = 10_000;
/** by then every dependency has failed over (Sentinel, the replica set, RabbitMQ's view of its nodes) and check says so */
const FAILED_OVER_MS = 90_000;

/**
 * The tier's secrets made of what its config files trip on (keepalived.conf and Sentinel's
 * own rewrites of sentinel.conf end a word at a space and never quote): each must still let
 * the cluster form, fail over and rejoin, and never be printed.
 */
const HOSTILE = (what: string) => `${what} 'single' "double" $HOME \`id\` back\\slash ;semi #hash !bang 100% user@host:port/path é中 ${'y'.repeat(40)}`;
const SECRETS: Record<string, string> = {
  redis_password: HOSTILE('redis'),
  redis_sentinel_password: HOSTILE('sentinel'),
  vrrp_password: HOSTILE('vrrp'),
  rabbitmq_password: HOSTILE('rabbit'),
  // Erlang reads printable ASCII only
  rabbitmq_erlang_cookie: `cookie 'single' "double" $HOME back\\slash ;#! ${'c'.repeat(40)}`,
};
const ENV = Object.fromEntries(Object.entries(SECRETS).map(([k, v]) => [`TIER_${k.toUpperCase()}`, v]));

interface CheckReport {
  ok: boolean;
  results: { host: string; check: string; ok: boolean; detail: string }[];
}

/** The status of GET https://lb_vip/api/v1/actions from the control machine (0: no answer within 1 s). */
function apiStatus(): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: LB_VIP, port: 443, path: '/api/v1/actions', rejectUnauthorized: false, timeout: 1000, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the controller tier: 3 controllers + 2 blueprints survive losing any one host', () => {
  const lab = useLab(2, { controllers: 3 });
  const controllers = () => lab().hosts.filter((h) => h.role === 'controller');
  const outputs: CliRun[] = [];
  let diagnostic: (message: string) => void = () => undefined;
  const run = async (command: string, ...args: string[]) => {
    const t0 = Date.now();
    const r = await st2prov([command, lab().inventory, ...args], ENV);
    diagnostic(`${command} ${args.join(' ')}: exit ${r.code} in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    outputs.push(r);
    return r;
  };
  const check = async (...args: string[]) => {
    const r = await run('check', '--json', ...args);
    return { code: r.code, report: JSON.parse(r.stdout) as CheckReport, text: r.stdout + r.stderr };
  };
  beforeEach((t) => {
    if ('diagnostic' in t) diagnostic = (message) => t.diagnostic(message);
  });

  it('diff on fresh hosts plans the whole tier (what needs running services pending); apply converges it; a second apply changes nothing; check passes', async () => {
    appendFileSync(lab().inventory, `\n${Object.keys(SECRETS).map((k) => `${k}=env:TIER_${k.toUpperCase()}`).join('\n')}\n`);
    const plan = await run('diff', '--json');
    assert.equal(plan.code, 0, failures(plan));
    for (const c of controllers()) {
      const joins = plan.json.hosts.find((h) => h.host === c.name)!.steps.find((s) => s.step === 'RabbitMQ: the controllers are one cluster');
      assert.equal(joins?.status, 'pending', `${c.name}: ${JSON.stringify(joins)}`);
    }
    const first = await run('apply', '--json');
    assert.equal(first.code, 0, failures(first));
    const again = await run('apply', '--json');
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
    const { code, report, text } = await check();
    assert.equal(code, 0, text);
    const cluster = report.results.filter((r) => r.host === 'cluster').map((r) => r.check);
    for (const name of controllers().map((c) => c.name)) assert.ok(cluster.includes(`survives losing ${name}`), text);
    for (const c of [`load balancer: ${LB_VIP} held by one controller`, 'RabbitMQ: the controllers are one cluster, a majority running', 'RabbitMQ: queues are mirrored (exclusive ones left out)',
      'Redis: the Sentinels agree on one master that is up', 'MongoDB: the replica set has a primary and a majority']) assert.ok(cluster.includes(c), `${c}\n${text}`);
  });

  for (const index of [0, 1, 2]) {
    it(`loses controller ${index + 1} whole: the VIP answers within 10 s and keeps answering; blueprints reach every dependency; check names it`, async () => {
      const lost = controllers()[index]!;
      assert.equal(await apiStatus(), 200, 'the API answers through the VIP before the loss');
      killHost(lost);
      const t0 = Date.now();
      while ((await apiStatus()) !== 200) {
        assert.ok(Date.now() - t0 < RECOVERY_MS, `/api/ through ${LB_VIP} did not answer within ${RECOVERY_MS / 1000} s of losing ${lost.name}`);
        await sleep(200);
      }
      for (let i = 0; i < 15; i++) {
        assert.equal(await apiStatus(), 200, `/api/ through ${LB_VIP} stopped answering ${((Date.now() - t0) / 1000).toFixed(1)} s after losing ${lost.name}`);
        await sleep(200);
      }
      // check tells the truth while the tier fails over (the Sentinels may still disagree on the
      // master for some seconds): once it has, the lost host is all that fails
      const onlyLost = [`${lost.name}: reachable over SSH`];
      let seen = await check('--timeout', '3', '--retries', '0');
      const failedIn = (r: typeof seen) => r.report.results.filter((x) => !x.ok).map((x) => `${x.host}: ${x.check}`);
      while (JSON.stringify(failedIn(seen)) !== JSON.stringify(onlyLost) && Date.now() - t0 < FAILED_OVER_MS) {
        diagnostic(`not failed over yet: ${failedIn(seen).join('; ')}`);
        await sleep(2000);
        seen = await check('--timeout', '3', '--retries', '0');
      }
      const { code, report, text } = seen;
      assert.equal(code, 4, `only the lost host fails: ${text}`);
      assert.deepEqual(failedIn(seen), onlyLost, `${FAILED_OVER_MS / 1000} s after the loss: ${text}`);
      for (const bp of lab().hosts.filter((h) => h.role === 'blueprint')) {
        const seen = report.results.filter((r) => r.host === bp.name && r.ok).map((r) => r.check);
        for (const c of ['reaches a MongoDB primary', 'logs in to RabbitMQ as st2', 'reaches the Redis master through Sentinel, with its password']) assert.ok(seen.includes(c), `${bp.name}: ${c}\n${text}`);
      }
      assert.ok(report.results.some((r) => r.host === 'cluster' && r.check === `serves without ${lost.name}` && r.ok), text);
    });

    it(`controller ${index + 1} boots again: apply rejoins it with no manual step, and check passes whole`, async () => {
      const lost = controllers()[index]!;
      await bootHost(lab(), lost);
      const apply = await run('apply', '--json');
      assert.equal(apply.code, 0, failures(apply));
      const { code, text } = await check();
      assert.equal(code, 0, text);
    });
  }

  it('no secret appears in any output', () => {
    assert.ok(outputs.length >= 11);
    for (const out of outputs) {
      const text = out.stdout + out.stderr;
      for (const v of Object.values(SECRETS)) {
        assert.ok(!text.includes(v) && !text.includes(encodeURIComponent(v)), 'a secret leaked');
        for (const part of ['yyyyyyyyyyyyyyyy', 'cccccccccccccccc']) {
          const at = text.indexOf(part);
          assert.ok(at < 0, `no part of a secret leaked: …${text.slice(Math.max(0, at - 120), at + 20)}`);
        }
      }
    }
  });
});
