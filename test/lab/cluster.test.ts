import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { amqpLoginFrom } from '../harness/amqp.js';
import { changeLines, failures, st2prov, type CliRun, type JsonReport } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import { REPO_URL, address } from '../lab/config.js';

/**
 * The whole cluster on 1 controller + 3 blueprints in the guide's layout (2.x, Mistral, so
 * PostgreSQL on the controller), with hash sensor partitioning: first the controller playbook
 * alone on fresh hosts (its dependencies reached from a still-fresh blueprint), then the site
 * playbook. The lab has a fourth blueprint host that the inventory lists only in the test
 * that adds it.
 */
const VARS = ['-e', 'st2_version=2.10.4', '-e', 'sensor_partitioning=hash'];

describe('the whole HA cluster on the lab: controller playbook, then site playbook (1 controller + 3 blueprints)', () => {
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
  // the controller playbook first, on its own: the blueprints are still fresh hosts
  const outputs: CliRun[] = [];
  const controllerOnly = async (command: string, ...args: string[]) => {
    const r = await site(command, three, '--playbook', 'controller', ...args);
    outputs.push(r);
    return r;
  };
  const secrets = () => JSON.parse(readFileSync(join(dirname(inventory), 'inventory.st2prov/secrets.json'), 'utf8')) as Record<string, string>;
  const blueprint = () => lab().hosts[1]!;
  let planned: string[] = [];

  it('controller playbook: diff on fresh hosts lists every change, marking steps that wait for packages as pending', async () => {
    inventory = lab().inventory;
    withFour = readFileSync(inventory, 'utf8');
    withThree = withFour.replace(/^st2-multi-node-4 .*\n/m, '');
    const r = await controllerOnly('diff', '--json');
    outputs.push(r);
    assert.equal(r.code, 0, failures(r));
    const steps = r.json.hosts[0]!.steps;
    const pending = steps.filter((s) => s.status === 'pending').map((s) => s.step);
    for (const step of ['PostgreSQL listens where the blueprints reach it', 'MongoDB binds to the controller address', 'pg_hba admits the blueprints with a password', 'RabbitMQ user for st2 (guest is refused over the network)', 'Redis for coordination: on the controller address, with a password']) {
      assert.ok(pending.includes(step), `${step} is pending`);
      assert.match(steps.find((s) => s.step === step)!.reason!, /^pending, after "install MongoDB, PostgreSQL, RabbitMQ and Redis"/);
    }
    planned = changeLines(r.json);
    assert.ok(planned.some((l) => /install mongodb-server postgresql rabbitmq-server redis-server nginx/.test(l)));
    assert.ok(planned.some((l) => l.includes('/etc/apt/sources.list.d/stackstorm.list')));
  });

  it('controller playbook: apply converges the controller, doing at least what diff planned', async () => {
    const r = await controllerOnly('apply', '--json');
    outputs.push(r);
    assert.equal(r.code, 0, failures(r));
    const applied = changeLines(r.json);
    for (const line of planned) assert.ok(applied.includes(line), `apply did "${line}"`);
  });

  it('controller playbook: a second apply reports 0 changed and restarts nothing; diff then shows nothing', async () => {
    const again = await controllerOnly('apply', '--json');
    outputs.push(again);
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
    assert.ok(!again.json.hosts[0]!.steps.some((s) => s.step.startsWith('handler:')), 'no handler ran');
    const diff = await controllerOnly('diff', '--exit-code');
    outputs.push(diff);
    assert.equal(diff.code, 0, diff.stdout);
  });

  it('from a blueprint: mistral logs in to PostgreSQL with its password, not with another', () => {
    const pw = secrets().mistral_db_password!;
    const tools = ssh(lab(), blueprint().address, 'apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql-client redis-tools curl >/dev/null 2>&1');
    assert.equal(tools.code, 0, tools.stderr);
    const ok = ssh(lab(), blueprint().address, `PGPASSWORD='${pw}' psql -h ${controller().address} -U mistral mistral -tAc 'select current_user'`);
    assert.equal(ok.stdout.trim(), 'mistral', ok.stderr);
    const wrong = ssh(lab(), blueprint().address, `PGPASSWORD=wrong psql -h ${controller().address} -U mistral mistral -tAc 'select 1'`);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /password authentication failed/);
  });

  it('from a blueprint: Redis answers with the password only', () => {
    const withPw = ssh(lab(), blueprint().address, `REDISCLI_AUTH='${secrets().redis_password}' redis-cli -h ${controller().address} ping`);
    assert.equal(withPw.stdout.trim(), 'PONG');
    const without = ssh(lab(), blueprint().address, `redis-cli -h ${controller().address} ping`);
    assert.match(without.stdout, /NOAUTH/);
  });

  it('from a blueprint: the RabbitMQ user authenticates over the network, guest does not', async () => {
    assert.equal(await amqpLoginFrom(lab(), blueprint().address, controller().address, 'st2', secrets().rabbitmq_password!), 'ok');
    assert.equal(await amqpLoginFrom(lab(), blueprint().address, controller().address, 'st2', 'wrong'), 'refused');
    assert.equal(await amqpLoginFrom(lab(), blueprint().address, controller().address, 'guest', 'guest'), 'refused');
  });

  it('from a blueprint: MongoDB answers on the controller address', () => {
    const r = ssh(lab(), blueprint().address, `python3 -c "import socket; s=socket.create_connection(('${controller().address}', 27017)); print(s.recv(100).decode().strip())"`);
    assert.equal(r.stdout.trim(), `mongodb ${controller().name}`, r.stderr);
  });

  it('https on the controller serves st2web, redirects http with 308, and /api/ is a JSON 503 with no blueprint up', () => {
    const c = controller().address;
    const web = ssh(lab(), blueprint().address, `curl -sk https://${c}/`);
    assert.match(web.stdout, /<div id="st2web">/);
    const redirect = ssh(lab(), blueprint().address, `curl -s -o /dev/null -w '%{http_code} %{redirect_url}' http://${c}/api/v1/actions`);
    assert.equal(redirect.stdout, `308 https://${c}/api/v1/actions`);
    const api = ssh(lab(), blueprint().address, `curl -sk -w '%{http_code} %{content_type}' https://${c}/api/v1/actions`);
    assert.equal(api.stdout, '{"faultstring": "no StackStorm blueprint is answering"}\n503 application/json');
  });

  it('controller playbook: hand-edited configs keep every comment and end with one active line per key', async () => {
    const c = controller().address;
    const edit = ssh(lab(), c, [
      `printf '# my note about bind_ip\\nbind_ip = 0.0.0.0\\n#bind_ip = 1.2.3.4\\nbind_ip=127.0.0.1 # old\\n' >> /etc/mongodb.conf`,
      `f=$(ls /etc/postgresql/*/main/postgresql.conf); printf "# keep this\\nlisten_addresses = '*'\\n" >> $f`,
      `printf '# hand-made\\nrequirepass nope\\n' >> /etc/redis/redis.conf`,
    ].join(' && '));
    assert.equal(edit.code, 0, edit.stderr);
    const r = await controllerOnly('apply', '--json');
    outputs.push(r);
    assert.equal(r.code, 0, failures(r));
    const check = ssh(lab(), c, [
      `grep -c '^bind_ip' /etc/mongodb.conf`,
      `grep -c '# my note about bind_ip' /etc/mongodb.conf`,
      `grep -c '^#bind_ip = 1.2.3.4' /etc/mongodb.conf`,
      `grep -c '^listen_addresses' /etc/postgresql/*/main/postgresql.conf`,
      `grep -c '# keep this' /etc/postgresql/*/main/postgresql.conf`,
      `grep -c '^requirepass' /etc/redis/redis.conf`,
      `grep -c '# hand-made' /etc/redis/redis.conf`,
      `grep '^bind_ip' /etc/mongodb.conf`,
    ].join('; '));
    assert.deepEqual(check.stdout.trim().split('\n'), ['1', '1', '1', '1', '1', '1', '1', `bind_ip = 127.0.0.1,${c}`]);
    const again = await controllerOnly('apply', '--json');
    assert.deepEqual(changeLines(again.json), []);
  });


  it('then the site playbook converges the whole cluster (blueprints fresh)', async () => {
    const packs = join(dirname(inventory), 'packs', 'hello_st2');
    mkdirSync(join(packs, 'actions'), { recursive: true });
    writeFileSync(join(packs, 'pack.yaml'), 'name: hello_st2\nversion: 1.0.0\n');
    writeFileSync(join(packs, 'actions', 'hello.yaml'), 'name: hello\nrunner_type: local-shell-cmd\n');
    const r = await site('apply', three, '--json');
    outputs.push(r);
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

  it('check names what one blueprint holds differently from the others; apply puts it back', async () => {
    const edit = [
      ssh(lab(), bp(2).address, "echo 'intruder:$apr1$x$y' >> /etc/st2/htpasswd && sed -i 's/^\\[api\\]$/[api]\\nallow_origin = */' /etc/st2/st2.conf"),
      ssh(lab(), bp(3).address, 'echo "# changed by hand" >> /opt/stackstorm/packs/hello_st2/actions/hello.yaml'),
    ];
    for (const e of edit) assert.equal(e.code, 0, e.stderr);
    const r = await st2prov(['check', inventory, ...VARS]);
    assert.equal(r.code, 2, r.stdout + r.stderr);
    const failedLines = r.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
    assert.deepEqual(failedLines.map((l) => l.replace(/\s+/g, ' ')), [
      'FAIL cluster the same htpasswd on every blueprint — differs: [st2-multi-node-1, st2-multi-node-3] vs [st2-multi-node-2]',
      'FAIL cluster the same st2.conf on every blueprint, but for its own keys — differs: [api] allow_origin [st2-multi-node-1, st2-multi-node-3] vs [st2-multi-node-2]',
      'FAIL cluster the same packs on every blueprint — differs: hello_st2 [st2-multi-node-1, st2-multi-node-2] vs [st2-multi-node-3]',
    ], r.stdout);
    const apply = await site('apply', three, '--json');
    assert.equal(apply.code, 0, failures(apply));
    const again = await st2prov(['check', inventory, ...VARS]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
    assert.match(again.stdout, /ok {3}cluster +the same datastore key on every blueprint — alike on 3 blueprint\(s\)/);
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

  it('the load balancer verifies every blueprint with the cluster CA: one serving a certificate the CA did not sign is left out, check names it, apply puts its own back', async () => {
    const c = controller().address;
    const lb = ssh(lab(), c, 'nginx -T 2>/dev/null');
    assert.match(lb.stdout, /^\s*proxy_ssl_verify\s+on;$/m);
    assert.match(lb.stdout, /^\s*proxy_ssl_trusted_certificate \/etc\/ssl\/st2\/cluster-ca\.crt;$/m);
    assert.match(lb.stdout, /^\s*proxy_ssl_name\s+blueprints\.st2\.internal;$/m);
    // what the controller trusts is the CA kept in the state folder, and each blueprint's certificate is signed by it for the shared name and its address
    const ca = readFileSync(join(dirname(inventory), 'inventory.st2prov/cluster-ca/ca.crt'), 'utf8');
    assert.equal(ssh(lab(), c, 'cat /etc/ssl/st2/cluster-ca.crt').stdout, ca);
    for (const i of [1, 2, 3]) {
      const verify = ssh(lab(), c, `echo | openssl s_client -connect ${bp(i).address}:443 -servername blueprints.st2.internal -CAfile /etc/ssl/st2/cluster-ca.crt -verify_return_error -verify_hostname blueprints.st2.internal -verify_ip ${bp(i).address} 2>&1 </dev/null | grep -E '^Verify return code|^Verification'`);
      assert.match(verify.stdout, /Verify return code: 0 \(ok\)/, `${bp(i).name}: ${verify.stdout}`);
    }
    const servedBy = () => ssh(lab(), c, `for i in $(seq 1 12); do curl -sk -w ' %{http_code}\\n' https://${c}/api/v1/actions; done`).stdout.trim().split('\n').map((l) => {
      const [body, code] = [l.slice(0, l.lastIndexOf(' ')), l.slice(l.lastIndexOf(' ') + 1)];
      assert.equal(code, '200', l);
      return (JSON.parse(body) as { host: string }).host;
    });
    // nginx leaves a blueprint out for 10 s after a failed request (fail_timeout), as after the st2api stopped just before
    const servedByAll = async () => {
      let seen: string[] = [];
      for (const until = Date.now() + 40_000; Date.now() < until; await new Promise((r) => setTimeout(r, 2000))) {
        seen = [...new Set(servedBy())].sort();
        if (seen.length === 3) break;
      }
      return seen;
    };
    assert.deepEqual(await servedByAll(), ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']);

    // the second blueprint serves a certificate of its own making, for the right names: not signed by the cluster CA
    const mine = ssh(lab(), c, `d=$(mktemp -d) && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=blueprints.st2.internal -addext 'subjectAltName=DNS:blueprints.st2.internal,IP:${bp(2).address}' -keyout $d/k -out $d/c 2>/dev/null && cat $d/c $d/k && rm -r $d`);
    assert.equal(mine.code, 0, mine.stderr);
    const [cert, key] = [mine.stdout.slice(0, mine.stdout.indexOf('-----BEGIN PRIVATE KEY')), mine.stdout.slice(mine.stdout.indexOf('-----BEGIN PRIVATE KEY'))];
    const swap = ssh(lab(), bp(2).address, `printf '%s' '${cert}' > /etc/ssl/st2/st2.crt && printf '%s' '${key}' > /etc/ssl/st2/st2.key && systemctl reload nginx && sleep 1`);
    assert.equal(swap.code, 0, swap.stderr);
    ssh(lab(), c, ': > /var/log/nginx/error.log');
    assert.deepEqual([...new Set(servedBy())].sort(), ['st2-multi-node-1', 'st2-multi-node-3'], 'every request answered, none by the blueprint the CA did not sign');
    assert.match(ssh(lab(), c, 'cat /var/log/nginx/error.log').stdout, new RegExp(`upstream SSL certificate verify error: \\(\\d+:self[- ]signed certificate\\).*upstream: "https://${bp(2).address.replace(/\./g, '\\.')}:443`));
    const check = await st2prov(['check', inventory, ...VARS]);
    assert.equal(check.code, 2, check.stdout + check.stderr);
    const failed = check.stdout.split('\n').filter((l) => l.startsWith('FAIL')).map((l) => l.replace(/\s+/g, ' '));
    assert.equal(failed.length, 1, check.stdout);
    assert.equal(failed[0]!.replace(/self[- ]signed/, 'self-signed'), `FAIL st2-multi-node-cntl load balancer reaches st2-multi-node-2 (https://${bp(2).address}/api/), its certificate signed by the cluster CA — self-signed certificate`);

    const apply = await site('apply', three, '--json');
    outputs.push(apply);
    assert.equal(apply.code, 0, failures(apply));
    const changed = stepsChanged(apply.json);
    assert.deepEqual(Object.entries(changed).filter(([, steps]) => steps.length).map(([h]) => h), ['st2-multi-node-2']);
    assert.ok(changeLines(apply.json).some((l) => l.includes('/etc/ssl/st2/st2.crt')), changeLines(apply.json).join('\n'));
    assert.deepEqual(await servedByAll(), ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3']);
    const again = await st2prov(['check', inventory, ...VARS]);
    assert.equal(again.code, 0, again.stdout + again.stderr);
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

  it('removed again, the fourth leaves the upstream and the partitions shrink back; a member file’s mode and owner are read, not assumed', async () => {
    const member = '/etc/nginx/st2-upstream.d/st2-multi-node-1.conf';
    assert.equal(ssh(lab(), controller().address, `chmod 0600 ${member} && chown nobody ${member}`).code, 0);
    const diff = await site('diff', three, '--json');
    assert.equal(diff.code, 0, failures(diff));
    const lbChanges = diff.json.hosts[0]!.steps.flatMap((s) => s.changes.map((c) => c.summary));
    assert.ok(lbChanges.includes(`${member}: mode 0600 → 0644, owner nobody → root`), lbChanges.join('\n'));
    assert.ok(lbChanges.includes('remove /etc/nginx/st2-upstream.d/st2-multi-node-4.conf (no longer a blueprint of the inventory)'), lbChanges.join('\n'));
    const apply = await site('apply', three, '--json');
    assert.equal(apply.code, 0, failures(apply));
    assert.equal(ssh(lab(), controller().address, `stat -c '%a %U %G' ${member}`).stdout, '644 root root\n');
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

  it('declared packs: st2-pack-install puts one pack and its virtualenv on every blueprint, registers once; check holds them to it; apply puts a changed one back', async () => {
    const url = `${REPO_URL}/packs/hello_lab.git`;
    const packs = ['-e', `st2_packs=${url}=v1.0.0`];
    const STEP = 'packs installed with st2-pack-install';
    const registrations = () => [1, 2, 3].map((i) => Number(ssh(lab(), bp(i).address, 'cat /var/log/st2/register.log 2>/dev/null | wc -l').stdout.trim()));
    const handled = (r: JsonReport, handler: string) => r.hosts.filter((h) => h.steps.some((s) => s.step === `handler: ${handler}`)).map((h) => h.host);
    const failedLines = (r: CliRun) => r.stdout.split('\n').filter((l) => l.startsWith('FAIL')).map((l) => l.replace(/\s+/g, ' '));
    const before = registrations();

    const diff = await site('diff', three, ...packs, '--json');
    const planned = diff.json.hosts.flatMap((h) => h.steps.filter((s) => s.step === STEP).flatMap((s) => s.changes.map((c) => `${h.host}: ${c.summary}\n${c.diff}`)));
    assert.deepEqual(planned, [1, 2, 3].map((i) => `${bp(i).name}: st2-pack-install ${url}=v1.0.0: not installed
create /opt/stackstorm/packs/hello_lab: from ${url} at v1.0.0
create /opt/stackstorm/virtualenvs/hello_lab
create /var/lib/st2prov/packs/hello_lab`));
    // besides the installs: the handlers, and each blueprint's turn out of the load balancer for them (a rolling play's handlers roll)
    const steps = (r: JsonReport) => changeLines(r).filter((l) => !/ \| (handler: [^|]+|drain: [^|]+|undrain: [^|]+) \| /.test(l));
    assert.deepEqual(steps(diff.json).filter((l) => !l.includes(STEP)), []);
    assert.deepEqual([...new Set(changeLines(diff.json).filter((l) => / \| drain: /.test(l)).map((l) => l.split(' | ')[0]))], [1, 2, 3].map((i) => bp(i).name));

    const apply = await site('apply', three, ...packs, '--json');
    outputs.push(apply);
    assert.equal(apply.code, 0, failures(apply));
    assert.deepEqual(steps(apply.json), [1, 2, 3].map((i) => `${bp(i).name} | ${STEP} | st2-pack-install ${url}=v1.0.0: not installed`));
    assert.deepEqual(registrations().map((n, i) => n - before[i]!), [1, 0, 0], 'content registered once, on the content node');
    assert.deepEqual(handled(apply.json, 'register content'), ['st2-multi-node-1']);
    assert.deepEqual(handled(apply.json, 'restart sensors'), ['st2-multi-node-1', 'st2-multi-node-2', 'st2-multi-node-3'], 'hash partitioning: every blueprint runs sensors');
    for (const i of [1, 2, 3]) {
      const r = ssh(lab(), bp(i).address, 'grep ^version: /opt/stackstorm/packs/hello_lab/pack.yaml && test -L /opt/stackstorm/virtualenvs/hello_lab/bin/python && cut -f2 /var/lib/st2prov/packs/hello_lab');
      assert.equal(r.stdout, `version: 1.0.0\n${url}=v1.0.0\n`, r.stderr);
    }

    const again = await site('apply', three, ...packs, '--json');
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), []);
    const check = await st2prov(['check', inventory, ...VARS, ...packs]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    assert.match(check.stdout, /ok {3}cluster +the declared packs \(st2_packs\) as installed on every blueprint — 1 pack\(s\) with their virtualenv, unchanged since installed, on 3 blueprint\(s\)/);

    const edit = ssh(lab(), bp(3).address, 'echo "# changed by hand" >> /opt/stackstorm/packs/hello_lab/actions/greet.py');
    assert.equal(edit.code, 0, edit.stderr);
    const drift = await st2prov(['check', inventory, ...VARS, ...packs]);
    assert.equal(drift.code, 2, drift.stdout + drift.stderr);
    assert.deepEqual(failedLines(drift), [
      'FAIL cluster the same packs on every blueprint — differs: hello_lab [st2-multi-node-1, st2-multi-node-2] vs [st2-multi-node-3]',
      'FAIL cluster the declared packs (st2_packs) as installed on every blueprint — hello_lab: its files changed since it was installed on st2-multi-node-3',
    ], drift.stdout);
    const back = await site('apply', three, ...packs, '--json');
    assert.equal(back.code, 0, failures(back));
    assert.deepEqual(steps(back.json), [`st2-multi-node-3 | ${STEP} | st2-pack-install ${url}=v1.0.0: its files changed since it was installed`]);
    assert.deepEqual([handled(back.json, 'register content'), handled(back.json, 'restart sensors')], [[], ['st2-multi-node-3']]);
    const fixed = await st2prov(['check', inventory, ...VARS, ...packs]);
    assert.equal(fixed.code, 0, fixed.stdout + fixed.stderr);
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

  it('no secret appears in any output, nor a line of the cluster CA’s key or a blueprint’s key', () => {
    const values = Object.values(secrets());
    assert.ok(values.length >= 3);
    const state = join(dirname(inventory), 'inventory.st2prov');
    const keys = [join(state, 'cluster-ca', 'ca.key'), ...readdirSync(state).filter((f) => f.startsWith('blueprint-')).map((f) => join(state, f, 'blueprint.key'))];
    assert.equal(keys.length, 1 + 4, 'the CA and the certificates of four blueprints (one added and removed)');
    const keyLines = keys.flatMap((k) => readFileSync(k, 'utf8').split('\n').filter((l) => l.length > 20 && !l.startsWith('-----')));
    assert.ok(keyLines.length >= 5);
    for (const out of outputs) {
      const text = out.stdout + out.stderr;
      for (const v of values) assert.ok(!text.includes(v) && !text.includes(encodeURIComponent(v)), 'a secret leaked');
      for (const l of keyLines) assert.ok(!text.includes(l), 'a line of a private key leaked');
    }
  });
});
