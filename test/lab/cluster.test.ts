import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { changeLines, failures, st2prov, type JsonReport } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import { address } from '../lab/config.js';

/**
 * The whole cluster on 1 controller + 3 blueprints in the guide's layout (2.x, Mistral),
 * with hash sensor partitioning. The lab has a fourth blueprint host that the inventory
 * lists only in the test that adds it.
 */
const VARS = ['-e', 'st2_version=2.10.4', '-e', 'sensor_partitioning=hash'];

describe('site playbook: the whole HA cluster on the lab', () => {
  const lab = useLab(4);
  // one inventory file, edited as an operator would: its state folder (secrets) stays the same
  let inventory = '';
  let withFour = '';
  let withThree = '';
  const three = 'three';
  const four = 'four';
  const site = (command: string, which: string, ...args: string[]) => {
    writeFileSync(inventory, which === four ? withFour : withThree);
    return st2prov([command, inventory, ...VARS, ...args]);
  };
  const controller = () => lab().hosts[0]!;
  const bp = (i: number) => lab().hosts[i]!;
  const stepsChanged = (r: JsonReport) => Object.fromEntries(r.hosts.map((h) => [h.host, h.steps.filter((s) => s.changes.length).map((s) => s.step)]));

  it('converges the whole cluster from fresh hosts', async () => {
    inventory = lab().inventory;
    withFour = readFileSync(inventory, 'utf8');
    withThree = withFour.replace(/^st2-multi-node-4 .*\n/m, '');
    const packs = join(dirname(inventory), 'packs', 'hello_st2');
    mkdirSync(join(packs, 'actions'), { recursive: true });
    writeFileSync(join(packs, 'pack.yaml'), 'name: hello_st2\nversion: 1.0.0\n');
    writeFileSync(join(packs, 'actions', 'hello.yaml'), 'name: hello\nrunner_type: local-shell-cmd\n');
    const r = await site('apply', three, '--json');
    assert.equal(r.code, 0, failures(r));
    assert.deepEqual(r.json.hosts.map((h) => h.host), ['st2-multi-node-cntl', 'st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']);
    const registered = r.json.hosts.filter((h) => h.steps.some((s) => s.step === 'handler: register content')).map((h) => h.host);
    assert.deepEqual(registered, ['st2-multi-node-1'], 'content registered once for the cluster');
  });

  it('a second apply reports 0 changed and restarts nothing; diff shows nothing', async () => {
    const again = await site('apply', three, '--json');
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
    assert.ok(!again.json.hosts.some((h) => h.steps.some((s) => s.step.startsWith('handler:'))));
    const diff = await site('diff', three, '--exit-code');
    assert.equal(diff.code, 0, diff.stdout);
  });

  it('check passes', async () => {
    writeFileSync(inventory, withThree);
    const r = await st2prov(['check', inventory, ...VARS]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /ok {3}cluster +sensor partitions — hash ranges tile \[0, 2\^32\) over 3 node\(s\)/);
    assert.match(r.stdout, /ok {3}cluster +exactly one timers node — st2-multi-node-1/);
  });

  it('each blueprint has the shared config but for its per-node keys', () => {
    const conf = (i: number) => ssh(lab(), bp(i).address, 'cat /etc/st2/st2.conf').stdout;
    const strip = (text: string) => text.replace(/^(sensor_node_name|partition_provider|enable) = .*$/gm, '$1 = <per node>');
    assert.equal(strip(conf(2)), strip(conf(1)));
    assert.equal(strip(conf(3)), strip(conf(1)));
    assert.match(conf(1), /^partition_provider = name:hash, hash_ranges:MIN\.\.1431655765$/m);
    assert.match(conf(3), /^partition_provider = name:hash, hash_ranges:2863311530\.\.MAX$/m);
    const htpasswd = [1, 2, 3].map((i) => ssh(lab(), bp(i).address, 'cat /etc/st2/htpasswd /etc/st2/keys/datastore_key.json /home/stanley/.ssh/stanley_rsa.pub').stdout);
    assert.equal(new Set(htpasswd).size, 1, 'htpasswd, datastore key and stanley key are identical everywhere');
    const defaults = (i: number) => ssh(lab(), bp(i).address, 'cat /etc/default/st2ctl').stdout;
    assert.match(defaults(1), /st2timersengine/);
    assert.doesNotMatch(defaults(2), /st2timersengine|st2garbagecollector/);
  });

  it('/api/ through the controller is answered by every blueprint in turn, and survives one st2api down', () => {
    const many = `for i in $(seq 1 12); do curl -sk https://${controller().address}/api/v1/actions; echo; done`;
    const served = ssh(lab(), controller().address, many).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { host: string }).host);
    assert.deepEqual([...new Set(served)].sort(), ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']);
    assert.equal(ssh(lab(), bp(2).address, '/etc/init.d/st2api stop').code, 0);
    try {
      const codes = ssh(lab(), controller().address, `for i in $(seq 1 12); do curl -sk -o /dev/null -w '%{http_code} ' https://${controller().address}/api/v1/actions; done`).stdout.trim().split(' ');
      assert.deepEqual(codes, Array(12).fill('200'));
    } finally {
      ssh(lab(), bp(2).address, '/etc/init.d/st2api start');
    }
  });

  it('a fourth blueprint: diff lists its changes plus the upstream and partitions elsewhere, apply does exactly that', async () => {
    const diff = await site('diff', four, '--json');
    assert.equal(diff.code, 0, failures(diff));
    const planned = stepsChanged(diff.json);
    assert.deepEqual(planned['st2-multi-node-cntl'], ['nginx load balancer in front of every blueprint', 'handler: reload nginx']);
    // st2 restarts on the blueprints that serve: each in its turn, drained first and put back after
    for (const old of ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']) {
      assert.deepEqual(planned[old], ['the shared st2.conf, pointing at the controller', 'drain: out of the load balancer, singletons handed over', 'handler: restart st2', 'undrain: singletons back, into the load balancer'], old);
    }
    // the new blueprint's own file in the upstream folder
    const upstream = diff.json.hosts[0]!.steps.find((s) => s.changes.length)!.changes[0]!;
    assert.equal(upstream.summary, 'create /etc/nginx/st2-upstream.d/st2-multi-node-4.conf (mode 0644)');
    assert.ok(upstream.diff!.split('\n').some((l) => l.startsWith(`+    server ${address(14)}:443 `) && l.endsWith('# st2-multi-node-4')), upstream.diff);
    const partition = diff.json.hosts[1]!.steps.find((s) => s.changes.length)!.changes[0]!.diff!;
    assert.deepEqual(partition.split('\n').filter((l) => /^[+-][^+-]/.test(l)), ['-partition_provider = name:hash, hash_ranges:MIN..1431655765', '+partition_provider = name:hash, hash_ranges:MIN..1073741824']);
    assert.ok(planned['st2-multi-node-4']!.includes('install st2, st2mistral and nginx'));

    const apply = await site('apply', four, '--json');
    assert.equal(apply.code, 0, failures(apply));
    const done = stepsChanged(apply.json);
    for (const host of ['st2-multi-node-cntl', 'st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']) assert.deepEqual(done[host], planned[host], host);
    const check = await st2prov(['check', inventory, ...VARS]);
    assert.equal(check.code, 0, check.stdout);
    assert.match(check.stdout, /hash ranges tile \[0, 2\^32\) over 4 node\(s\)/);
  });

  it('removed again, the fourth leaves the upstream and the partitions shrink back', async () => {
    const apply = await site('apply', three, '--json');
    assert.equal(apply.code, 0, failures(apply));
    const lb = ssh(lab(), controller().address, 'ls /etc/nginx/st2-upstream.d; cat /etc/nginx/st2-upstream.d/*.conf').stdout;
    assert.ok(!lb.includes(`server ${address(14)}:`) && !lb.includes('st2-multi-node-4.conf'), lb);
    assert.match(ssh(lab(), bp(1).address, 'cat /etc/st2/st2.conf').stdout, /hash_ranges:MIN\.\.1431655765$/m);
  });

  it('one pack file changed: diff shows that file on each blueprint, apply syncs it and registers once', async () => {
    const registrations = () => [1, 2, 3].map((i) => Number(ssh(lab(), bp(i).address, 'cat /var/log/st2/register.log 2>/dev/null | wc -l').stdout.trim()));
    const before = registrations();
    writeFileSync(join(dirname(inventory), 'packs', 'hello_st2', 'pack.yaml'), 'name: hello_st2\nversion: 1.0.1\n');
    const diff = await site('diff', three, '--json');
    const changes = diff.json.hosts.flatMap((h) => h.steps.filter((s) => s.step === 'packs synced from the control machine').flatMap((s) => s.changes.map((c) => [h.host, c.diff] as const)));
    assert.equal(changes.length, 3);
    for (const [, d] of changes) assert.match(d!, /^--- a\/opt\/stackstorm\/packs\/hello_st2\/pack\.yaml\n\+\+\+ b\/opt\/stackstorm\/packs\/hello_st2\/pack\.yaml\n@@ -1,2 \+1,2 @@\n name: hello_st2\n-version: 1\.0\.0\n\+version: 1\.0\.1\n$/);
    const apply = await site('apply', three, '--json');
    assert.equal(apply.code, 0, failures(apply));
    const after = registrations();
    assert.deepEqual(after.map((n, i) => n - before[i]!), [1, 0, 0]);
    assert.equal(ssh(lab(), bp(3).address, 'cat /opt/stackstorm/packs/hello_st2/pack.yaml').stdout, 'name: hello_st2\nversion: 1.0.1\n');
  });

  it('--role blueprint and --limit touch only those hosts', async () => {
    const role = await site('apply', three, '--role', 'blueprint', '--json');
    assert.deepEqual(role.json.hosts.map((h) => h.host), ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']);
    const one = await site('apply', three, '--limit', 'st2-multi-node-2', '--json');
    assert.equal(one.code, 0, failures(one));
    assert.deepEqual(one.json.hosts.map((h) => h.host), ['st2-multi-node-2']);
  });

  it('more than one blueprint with file coordination is refused before anything runs', async () => {
    const r = await site('apply', three, '-e', 'coordination_backend=file');
    assert.equal(r.code, 1);
    assert.match(r.stderr, /coordination_backend is "file" with 3 blueprints/);
    assert.equal(r.stdout, '');
  });
});
