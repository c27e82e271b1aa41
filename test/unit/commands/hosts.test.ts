import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { st2prov } from '../../harness/cli.js';
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
});
