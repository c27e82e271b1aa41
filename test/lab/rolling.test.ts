import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import { changeLines, failures, st2prov, type CliRun } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import { clientLoop, exactlyOne, unitSampler, type Answer, type Sample } from '../harness/traffic.js';

/**
 * Rolling operations on one lab of 1 controller + 3 systemd blueprints, behind the
 * controller's load balancer: a client sends a request through it every 50 ms during each
 * run, and every blueprint's singletons are sampled every 100 ms. An upgrade 3.4.1 → 3.8.1
 * (crossing the v3.5 and v3.8 migrations), a rolling restart, then an upgrade to 3.9.0 with
 * the second blueprint's st2api made to fail, and the run that continues it. On 3.8.1 the
 * cluster is also the current layout's (no Mistral, no PostgreSQL, the timers engine keys),
 * with MongoDB Inc.'s mongodb-org and st2chatops (configured, with a chat token and alias no
 * shell would take unquoted).
 */
const TOKEN = `xoxb-it's "a" $HOME \`id\` \\ token`;
const ALIAS = "!'$(id)";
const SINGLETONS = ['st2timersengine', 'st2garbagecollector'];
const BLUEPRINTS = ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3'];

describe('rolling upgrades and restarts behind the load balancer, with zero failed requests', () => {
  const lab = useLab(3);
  const started = Date.now();
  after(() => process.stderr.write(`rolling.test: ${((Date.now() - started) / 1000).toFixed(0)} s, lab included\n`));
  const controller = () => lab().hosts[0]!;
  const blueprints = () => lab().hosts.slice(1);
  const on = (name: string, command: string) => ssh(lab(), lab().hosts.find((h) => h.name === name)!.address, command);
  const version = (name: string) => on(name, "dpkg-query -W -f '${Version}' st2").stdout;
  const LAYOUT = ['-e', 'mongodb_package=mongodb-org', '-e', 'st2_chatops=true', '-e', `st2_chatops_token=${TOKEN}`, '-e', `st2_chatops_alias=${ALIAS}`];
  const run = (command: string, version: string, ...args: string[]) => st2prov([command, lab().inventory, '-e', `st2_version=${version}`, ...LAYOUT, ...args]);
  const lines = (name: string, file: string) => on(name, `cat ${file} 2>/dev/null`).stdout.split('\n').filter(Boolean);

  /** The run, with the client loop and the singleton samplers around it; what they saw. */
  const watched = async (work: () => Promise<CliRun>) => {
    const clients = clientLoop(controller().address);
    const sampler = unitSampler(lab(), blueprints(), SINGLETONS);
    const from = Date.now();
    const result = await work();
    const to = Date.now();
    await new Promise((r) => setTimeout(r, 500));
    const answers = await clients.stop();
    const samples = await sampler.stop();
    return { result, answers, samples, from, to };
  };

  /** Zero failed requests, and each singleton on exactly one node (gaps under 2 s, reported). */
  const assertUninterrupted = (what: string, answers: Answer[], samples: Sample[], from: number, to: number) => {
    const failed = answers.filter((a) => !a.ok);
    assert.ok(answers.length > 20, `${what}: the client sent requests (${answers.length})`);
    assert.deepEqual(failed, [], `${what}: ${failed.length} of ${answers.length} requests failed`);
    for (const unit of SINGLETONS) {
      const seen = exactlyOne(samples, unit, from + 500, to - 500);
      assert.deepEqual(seen.doubles.slice(0, 3), [], `${what}: ${unit} ran on two nodes at once`);
      const gaps = seen.gaps.map((g) => `${(g.ms / 1000).toFixed(1)} s`);
      process.stderr.write(`${what}: ${answers.length} requests, none failed; ${unit} handover gaps: ${gaps.join(', ') || 'none'}\n`);
      assert.ok(seen.gaps.every((g) => g.ms < 2000), `${what}: ${unit} ran nowhere for ${gaps.join(', ')}`);
    }
  };

  it('deploys 3.4.1 on fresh hosts (no turns: nothing serves yet)', async () => {
    const r = await run('apply', '3.4.1', '--json');
    assert.equal(r.code, 0, failures(r));
    assert.ok(!r.json.hosts.some((h) => h.steps.some((s) => s.step.startsWith('drain:'))), 'a fresh host is not drained');
    for (const b of BLUEPRINTS) assert.equal(version(b), '3.4.1-1');
  });

  it('diff shows the plan: each blueprint drained, upgraded and put back, in order; the migrations on the first', async () => {
    const r = await run('diff', '3.8.1', '--json');
    assert.equal(r.code, 0, failures(r));
    assert.deepEqual(r.json.hosts.map((h) => h.host), ['st2-multi-node-cntl', ...BLUEPRINTS]);
    for (const h of r.json.hosts.slice(1)) {
      const steps = h.steps.filter((s) => s.changes.length).map((s) => s.step);
      const drain = steps.findIndex((s) => s.startsWith('drain:'));
      const upgrade = steps.findIndex((s) => s.startsWith('st2 upgraded in its turn'));
      const back = steps.findIndex((s) => s.startsWith('undrain:'));
      assert.ok(drain >= 0 && drain < upgrade && upgrade < back, `${h.host}: ${steps.join(' | ')}`);
      const summaries = h.steps.flatMap((s) => s.changes.map((c) => c.summary));
      assert.ok(summaries.includes(`on st2-multi-node-cntl: ${h.host} out of the load balancer (down; nginx reloaded, its old workers done)`), summaries.join('\n'));
      assert.ok(summaries.some((c) => c.startsWith('upgrade st2 3.4.1 → 3.8.1, keeping our configuration')), summaries.join('\n'));
      const migrations = summaries.filter((c) => /^v3\.\d/.test(c)).map((c) => c.split(':')[0]);
      assert.deepEqual(migrations, h.host === 'st2-multi-node-1' ? ['v3.5 st2-migrate-db-dict-field-values', 'v3.8 st2-drop-st2exporter-marker-collections'] : [], h.host);
    }
    const first = r.json.hosts[1]!.steps.flatMap((s) => s.changes.map((c) => c.summary));
    assert.ok(first.some((c) => /^on st2-multi-node-cntl: MongoDB backup to /.test(c)), first.join('\n'));
    assert.ok(first.includes('hand st2timersengine to st2-multi-node-2: stopped here, then started there (one at a time: never two)'), first.join('\n'));
    assert.deepEqual(blueprints().map((b) => version(b.name)), ['3.4.1-1', '3.4.1-1', '3.4.1-1'], 'a dry run changes nothing');
  });

  it('apply -e st2_version=3.8.1 rolls the upgrade: no failed request, every blueprint on 3.8.1, migrations once in order, content registered once, one timers node and one garbage collector throughout', async () => {
    const registered = () => BLUEPRINTS.map((b) => lines(b, '/var/log/st2/register.log').length);
    const before = registered();
    const { result, answers, samples, from, to } = await watched(() => run('apply', '3.8.1', '--json'));
    assert.equal(result.code, 0, failures(result));
    assertUninterrupted('upgrade to 3.8.1', answers, samples, from, to);
    assert.deepEqual(new Set(answers.map((a) => a.host)), new Set(BLUEPRINTS), 'every blueprint served');
    assert.deepEqual(BLUEPRINTS.map(version), ['3.8.1-1', '3.8.1-1', '3.8.1-1']);
    const migrations = BLUEPRINTS.flatMap((b) => lines(b, '/var/log/st2/migrations.log').map((l) => l.split(' ').slice(1, 3).join(' ')));
    assert.deepEqual(migrations, ['st2-migrate-db-dict-field-values st2-multi-node-1', 'st2-drop-st2exporter-marker-collections st2-multi-node-1']);
    assert.deepEqual(registered().map((n, i) => n - before[i]!), [1, 0, 0], 'content registered once, by the first node');
    assert.match(on('st2-multi-node-cntl', 'ls /var/backups/st2prov').stdout, /^mongodb-st2-3\.4\.1-to-3\.8\.1-\d{8}T\d{6}Z\.archive\.gz$/m);
    assert.equal(on('st2-multi-node-cntl', 'cat /var/lib/st2prov/st2-database-version').stdout, '3.8.1\n');
    // the turns went in inventory order, one at a time
    const order = result.json.hosts.filter((h) => h.steps.some((s) => s.step.startsWith('drain:'))).map((h) => h.host);
    assert.deepEqual(order, BLUEPRINTS);
    assert.equal(on('st2-multi-node-cntl', 'grep -l down /etc/nginx/st2-upstream.d/*.conf').stdout, '', 'every blueprint is back in the load balancer');
  });

  it('a second apply reports 0 changed', async () => {
    const r = await run('apply', '3.8.1', '--json');
    assert.equal(r.code, 0, failures(r));
    assert.deepEqual(changeLines(r.json), []);
  });

  it('3.8.1 is the current layout: no Mistral, no PostgreSQL, the timers engine keys; mongodb-org and st2chatops run on the controller; check passes', async () => {
    const check = await run('check', '3.8.1');
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.doesNotMatch(check.stdout, /mistral|PostgreSQL/);
    const ctl = controller().name;
    assert.notEqual(on(ctl, 'dpkg -s postgresql >/dev/null 2>&1').code, 0, 'no PostgreSQL on the controller');
    assert.doesNotMatch(on(ctl, 'cat /etc/nginx/conf.d/st2-lb.conf').stdout, /mistral/);
    for (const b of BLUEPRINTS) assert.notEqual(on(b, 'dpkg -s st2mistral >/dev/null 2>&1').code, 0, `no st2mistral on ${b}`);
    const conf = on(BLUEPRINTS[0]!, 'cat /etc/st2/st2.conf').stdout;
    assert.match(conf, /^\[timersengine\]\nenable = True$/m);
    assert.doesNotMatch(conf, /^\[mistral\]/m);
    assert.equal(on(ctl, 'systemctl is-active st2chatops').stdout, 'active\n', 'st2chatops runs on the controller');
    // mongodb-org neither enables nor starts mongod: st2prov does, bound where the blueprints reach it
    assert.equal(on(ctl, 'systemctl is-enabled mongod; systemctl is-active mongod').stdout, 'enabled\nactive\n');
    assert.match(on(ctl, 'cat /etc/mongod.conf').stdout, new RegExp(`^  bindIp: 127\\.0\\.0\\.1,${controller().address.replace(/\./g, '\\.')}$`, 'm'));
  });

  it('st2chatops is configured: its env file at the load balancer with the chat settings quoted for sh, an API key registered once on the content node that st2 accepts, on the one controller; no secret shown', async () => {
    const ctl = controller();
    const content = lab().hosts.find((h) => h.name === BLUEPRINTS[0])!;
    const key = (JSON.parse(readFileSync(join(dirname(lab().inventory), 'inventory.st2prov/secrets.json'), 'utf8')) as Record<string, string>).st2_chatops_api_key!;
    assert.match(key, /^[\w-]{40,}$/);
    const env = '/opt/stackstorm/chatops/st2chatops.env';
    assert.equal(on(ctl.name, `stat -c '%a %U:%G' ${env}`).stdout, '640 root:st2\n');
    const read = on(ctl.name, `sh -c '. ${env} && printf "%s|" "$ST2_API_URL" "$ST2_AUTH_URL" "$ST2_STREAM_URL" "$HUBOT_ADAPTER" "$HUBOT_ALIAS" "$HUBOT_SLACK_TOKEN" "$ST2_API_KEY"'`);
    assert.equal(read.stdout, [`https://${ctl.address}/api`, `https://${ctl.address}/auth`, `https://${ctl.address}/stream`, 'slack', ALIAS, TOKEN, key, ''].join('|'), read.stderr);
    for (const b of BLUEPRINTS) assert.notEqual(on(b, 'dpkg -s st2chatops >/dev/null 2>&1').code, 0, `no st2chatops on ${b}`);
    // the lab keeps API keys per blueprint (not in MongoDB): asked (from the controller) of the content node, where it was registered
    const asked = (k: string) => on(ctl.name, `curl -sk -o /dev/null -w '%{http_code}' -H 'St2-Api-Key: ${k}' https://${content.address}/api/v1/actions`).stdout;
    assert.equal(asked(key), '200');
    assert.equal(asked('not-the-key'), '401');
    assert.deepEqual(on(content.name, 'cat /var/lib/st2-lab-auth/apikeys').stdout.trim().split('\n'), [createHash('sha512').update(`saltnpeper${key}`).digest('hex')], 'registered by its hash, once');
    const diff = await run('diff', '3.8.1');
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    for (const secret of [key, TOKEN]) assert.ok(!(diff.stdout + diff.stderr).includes(secret), 'a secret shown');
  });

  it('a version change StackStorm does not support in place (a downgrade) is refused with the reason, before any host is changed', async () => {
    const r = await run('apply', '3.4.1', '--json');
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(r.stdout, /refused before any host was changed: st2-multi-node-1: st2 3\.8\.1 is installed and st2_version is 3\.4\.1: a downgrade/);
    assert.ok(r.json.hosts.every((h) => h.changed === 0), 'nothing changed');
    assert.deepEqual(BLUEPRINTS.map(version), ['3.8.1-1', '3.8.1-1', '3.8.1-1']);
  });

  it('st2prov restart: every blueprint restarted in turn, no failed request, one timers node throughout', async () => {
    const pids = () => BLUEPRINTS.map((b) => on(b, 'systemctl show -p MainPID --value st2api').stdout.trim());
    const before = pids();
    const { result, answers, samples, from, to } = await watched(() => run('restart', '3.8.1', '--json'));
    assert.equal(result.code, 0, failures(result));
    assertUninterrupted('restart', answers, samples, from, to);
    const afterPids = pids();
    BLUEPRINTS.forEach((b, i) => assert.notEqual(afterPids[i], before[i], `${b}: st2api was restarted`));
    assert.equal(on('st2-multi-node-cntl', 'grep -l down /etc/nginx/st2-upstream.d/*.conf').stdout, '');
  });

  it('an upgrade to 3.9.0 with the second blueprint’s st2api failing: the run stops with it drained, the others serving; re-run after the fix, it continues', async () => {
    on('st2-multi-node-2', "mkdir -p /etc/systemd/system/st2api.service.d && printf '[Service]\\nExecStartPre=/bin/false\\n' > /etc/systemd/system/st2api.service.d/zz-lab-fails.conf && systemctl daemon-reload");
    const { result, answers, samples, from, to } = await watched(() => run('apply', '3.9.0', '--json'));
    assert.equal(result.code, 2, failures(result));
    assertUninterrupted('upgrade to 3.9.0, failing on the second', answers, samples, from, to);
    const reasons = Object.fromEntries(result.json.hosts.map((h) => [h.host, h.reason ?? '']));
    assert.match(reasons['st2-multi-node-2']!, /st2api/);
    assert.match(reasons['st2-multi-node-3']!, /not run: st2-multi-node-2 failed in its turn/);
    assert.match(on('st2-multi-node-cntl', 'cat /etc/nginx/st2-upstream.d/st2-multi-node-2.conf').stdout, / down;/, 'the failed node stays out of the load balancer');
    assert.equal(on('st2-multi-node-cntl', 'grep -l down /etc/nginx/st2-upstream.d/*.conf').stdout, '/etc/nginx/st2-upstream.d/st2-multi-node-2.conf\n');
    assert.deepEqual(BLUEPRINTS.map(version), ['3.9.0-1', '3.9.0-1', '3.8.1-1']);
    const lateServers = new Set(answers.filter((a) => a.at > to - 3000).map((a) => a.host));
    assert.deepEqual(lateServers, new Set(['st2-multi-node-1', 'st2-multi-node-3']), 'the other two serve');

    on('st2-multi-node-2', 'rm /etc/systemd/system/st2api.service.d/zz-lab-fails.conf && systemctl daemon-reload');
    const again = await watched(() => run('apply', '3.9.0', '--json'));
    assert.equal(again.result.code, 0, failures(again.result));
    assertUninterrupted('the upgrade to 3.9.0 continued', again.answers, again.samples, again.from, again.to);
    assert.deepEqual(BLUEPRINTS.map(version), ['3.9.0-1', '3.9.0-1', '3.9.0-1']);
    const v39 = BLUEPRINTS.flatMap((b) => lines(b, '/var/log/st2/migrations.log').filter((l) => l.includes('st2-migrate-liveaction-executiondb')));
    assert.equal(v39.length, 1, `the v3.9 migration ran once: ${v39.join('; ')}`);
    assert.equal(on('st2-multi-node-cntl', 'grep -l down /etc/nginx/st2-upstream.d/*.conf').stdout, '');
    const check = await run('check', '3.9.0');
    assert.equal(check.code, 0, check.stdout);
  });
});
