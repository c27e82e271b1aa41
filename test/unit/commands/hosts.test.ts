import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectDir, st2prov } from '../../harness/cli.js';
import { st2provMeasured } from '../../harness/peakRss.js';
import { tempDir } from '../../harness/tempDir.js';

const inventoryFile = (text: string) => {
  const file = join(tempDir('hosts'), 'inventory.ini');
  writeFileSync(file, text);
  return file;
};

const INVENTORY = `[controller]
c ansible_host=10.0.3.10 ansible_ssh_pass=ssh-pass-value
[blueprint]
b1 ansible_host=10.0.3.11
[all:vars]
packs_delete=yes
st2_package_revision=2
pg_hba_network=10.0.3.0/24, 10.0.4.0/24
api_key=plain-api-key-value
vault_db=vault-value
my_setting=mine
`;

describe('st2prov hosts', () => {
  it('prints typed values with where each was set, the cluster settings with their defaults, secrets masked', async () => {
    const run = await st2prov(['hosts', inventoryFile(INVENTORY)]);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^ {4}packs_delete = true {4}# .*inventory\.ini:6$/m);
    assert.match(run.stdout, /^ {4}st2_package_revision = 2 {4}# .*inventory\.ini:7$/m);
    assert.match(run.stdout, /^ {4}pg_hba_network = \["10\.0\.3\.0\/24","10\.0\.4\.0\/24"\]/m);
    assert.match(run.stdout, /^ {4}my_setting = mine {4}# .*inventory\.ini:11 \(not a st2prov variable\)$/m);
    assert.match(run.stdout, /^cluster settings \(the same on every host\):$/m);
    assert.match(run.stdout, /^ {4}st2_version = 3\.8\.1 {4}# default$/m);
    for (const secret of ['ssh-pass-value', 'plain-api-key-value', 'vault-value']) assert.ok(!run.stdout.includes(secret), `${secret} is masked`);
    assert.match(run.stdout, /^ {4}api_key = \*{8}/m);
    assert.match(run.stdout, /^ {4}vault_db = \*{8}/m);
    assert.match(run.stdout, /^ {4}ansible_ssh_pass = \*{8}/m);
  });

  it('refuses a bad value with its file:line (exit 1), and warns about a near miss', async () => {
    const bad = await st2prov(['hosts', inventoryFile(`${INVENTORY}st2_chatops=perhaps\n`)]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /inventory\.ini:12: st2_chatops: "perhaps" is not a boolean/);
    const typo = await st2prov(['hosts', inventoryFile(`${INVENTORY}st2_verison=3.8.1\n`)]);
    assert.equal(typo.code, 0);
    assert.match(typo.stderr, /warning: .*inventory\.ini:12: st2_verison is not a variable st2prov knows; did you mean st2_version\?/);
  });

  it('--json carries the typed values and the cluster settings', async () => {
    const run = await st2prov(['hosts', inventoryFile(INVENTORY), '--json']);
    const doc = JSON.parse(run.stdout) as { hosts: { name: string; vars: Record<string, unknown> }[]; cluster: Record<string, { value: unknown; origin: string }> };
    assert.equal(doc.hosts[0]!.vars.packs_delete, true);
    assert.deepEqual(doc.cluster.st2_version, { value: '3.8.1', origin: 'default' });
    assert.ok(!run.stdout.includes('ssh-pass-value'));
  });

  it('prints hosts, groups and variables named constructor, toString or __proto__ (text, --json, --limit, -e), exit 0 not 70', async () => {
    const file = inventoryFile(`[controller]
c1 ansible_host=10.0.3.10 constructor=5

[blueprint]
__proto__ ansible_host=10.0.3.11 toString=t
constructor ansible_host=10.0.3.12

[valueOf:children]
blueprint

[valueOf:vars]
hasOwnProperty=h

[all:vars]
__proto__=p
`);
    const text = await st2prov(['hosts', file, '-e', 'valueOf=e']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^__proto__ {2}role=blueprint {2}groups=valueOf,blueprint$/m);
    assert.match(text.stdout, /^ {4}constructor = 5 {4}# .*inventory\.ini:2 \(not a st2prov variable\)$/m);
    assert.match(text.stdout, /^ {4}toString = t {4}# .*inventory\.ini:5 \(not a st2prov variable\)$/m);
    assert.match(text.stdout, /^ {4}hasOwnProperty = h {4}# .*inventory\.ini:12 \(not a st2prov variable\)$/m);
    assert.match(text.stdout, /^ {4}__proto__ = p {4}# .*inventory\.ini:15 \(not a st2prov variable\)$/m);
    assert.match(text.stdout, /^ {4}valueOf = e {4}# -e \(not a st2prov variable\)$/m);
    assert.match(text.stdout, /^ {4}valueOf: __proto__, constructor {2}\(children: blueprint\)$/m);

    const json = await st2prov(['hosts', file, '--json', '-e', '__proto__=from-e', '--limit', 'constructor,__proto__']);
    assert.equal(json.code, 0, json.stderr);
    const doc = JSON.parse(json.stdout) as { hosts: { name: string; vars: Record<string, unknown>; origins: Record<string, string> }[]; groups: Record<string, { vars: Record<string, unknown> }> };
    assert.deepEqual(doc.hosts.map((h) => h.name), ['__proto__', 'constructor']);
    const proto = doc.hosts[0]!;
    assert.ok(Object.hasOwn(proto.vars, '__proto__') && Object.hasOwn(proto.origins, '__proto__'), json.stdout);
    assert.equal(proto.vars.__proto__, 'from-e');
    assert.equal(proto.origins.__proto__, '-e');
    assert.equal(proto.vars.toString, 't');
    assert.equal(proto.vars.hasOwnProperty, 'h');
    assert.equal(doc.groups['valueOf']!.vars['hasOwnProperty'], 'h');
  });

  it('masks the credentials of coordination_url and of any URL-valued variable, in text and --json', async () => {
    const file = inventoryFile(`${INVENTORY}coordination_backend=zookeeper
coordination_url=zookeeper://st2:zk-hosts-password@10.0.3.51:2181,10.0.3.52:2181
my_mirror=https://deploy:mirror-hosts-password@apt.example.com/x
`);
    for (const args of [[], ['--json']]) {
      const run = await st2prov(['hosts', file, ...args]);
      assert.equal(run.code, 0, run.stderr);
      assert.ok(!/zk-hosts-password|mirror-hosts-password/.test(run.stdout), run.stdout);
      assert.match(run.stdout, /zookeeper:\/\/st2:\*{8}@10\.0\.3\.51:2181,10\.0\.3\.52:2181/);
      assert.match(run.stdout, /https:\/\/deploy:\*{8}@apt\.example\.com\/x/);
    }
  });

  it('prints output far larger than its inventory in bounded memory: 2,000 hosts inherit a 256 KiB variable (525 MB out of a 0.3 MB file)', async () => {
    const file = inventoryFile(`[blueprint]\nnode[1:2000]\n[controller]\nctl\n[all:vars]\nbig=${'x'.repeat(256 * 1024)}\n`);
    for (const args of [[], ['--json']]) {
      const run = await st2provMeasured(['hosts', file, ...args], { keepStdout: false });
      assert.equal(run.code, 0, run.stderr);
      assert.ok(run.stdoutBytes > 2000 * 256 * 1024, `all of it printed (${run.stdoutBytes} bytes)`);
      // before: built whole (a string past Node's limit: exit 70), then written without waiting for the reader (1.7 GB)
      assert.ok(run.samples > 0 && run.peakRssBytes < 200 * 1000 ** 2, `hosts ${args.join(' ')}: peak RSS ${(run.peakRssBytes / 1000 ** 2).toFixed(0)} MB`);
    }
  });

  it('a reader that goes away early (st2prov hosts | head) ends the output quietly, not as an internal error', async () => {
    const file = inventoryFile(`[blueprint]\nnode[1:2000]\n[controller]\nctl\n[all:vars]\nbig=${'x'.repeat(64 * 1024)}\n`);
    const child = spawn(process.execPath, [`${projectDir}bin/st2prov.js`, 'hosts', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.once('data', () => child.stdout.destroy());
    const code = await new Promise((resolve) => child.on('close', resolve));
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /internal error/);
  });
});
