import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { InventoryError, UsageError } from '../../../src/core/errors.js';
import { isSecret, mask } from '../../../src/core/secret.js';
import { resolveInventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';
import { parseYamlInventory } from '../../../src/inventory/parseYaml.js';
import { oneEditApart, settle } from '../../../src/inventory/settings.js';
import { VARIABLES, isSecretName, parseBoolean } from '../../../src/inventory/variables.js';

const settled = (text: string, extraVars: Record<string, string> = {}) => settle(resolveInventory(parseInventory(text, 'inv.ini'), { extraVars }));
const CLUSTER = '[controller]\nc ansible_host=10.0.3.10\n[blueprint]\nb1 ansible_host=10.0.3.11\nb2 ansible_host=10.0.3.12\n';

describe('typed settings', () => {
  it('give every variable its type and its one default', () => {
    const s = settled(CLUSTER).settings;
    assert.equal(s.st2_version, '3.8.1');
    assert.equal(s.st2_package_revision, 1);
    assert.equal(s.coordination_backend, 'redis');
    assert.equal(s.packs_delete, false);
    assert.deepEqual(s.pg_hba_network, []);
    assert.equal(s.rabbitmq_password, undefined, 'a secret left out is made later');
    assert.match(s.packs_dir, /\/packs$/, 'packs/ beside the inventory');
  });

  it('read Ansible’s booleans, numbers and lists', () => {
    for (const [text, value] of [['yes', true], ['No', false], ['on', true], ['OFF', false], ['1', true], ['0', false], ['true', true], ['False', false]] as const) {
      assert.equal(parseBoolean(text), value, text);
      assert.equal(settled(`${CLUSTER}[all:vars]\npacks_delete=${text}\n`).settings.packs_delete, value, text);
    }
    const s = settled(`${CLUSTER}[all:vars]\npg_hba_network=10.0.3.0/24, 10.0.4.0/24\nst2_package_revision=2\n`).settings;
    assert.deepEqual(s.pg_hba_network, ['10.0.3.0/24', '10.0.4.0/24']);
    assert.equal(s.st2_package_revision, 2);
    assert.equal(settled(`${CLUSTER.replace('c ansible_host=10.0.3.10', 'c ansible_host=10.0.3.10 ansible_port=2222')}`).hosts[0]!.settings.ansible_port, 2222);
  });

  it('refuse a bad value with the file:line that wrote it', () => {
    const cases: [string, RegExp][] = [
      [`${CLUSTER}[all:vars]\nst2_version=latest\n`, /^inv\.ini:7: st2_version: "latest" is not a version/],
      [`${CLUSTER}[all:vars]\npacks_delete=maybe\n`, /^inv\.ini:7: packs_delete: "maybe" is not a boolean/],
      [CLUSTER.replace('b1 ansible_host=10.0.3.11', 'b1 ansible_host=10.0.3.11 ansible_port=notaport'), /^inv\.ini:4: ansible_port: "notaport" is not a whole number from 1 to 65535/],
      [CLUSTER.replace('b1 ansible_host=10.0.3.11', 'b1 ansible_host=10.0.3.11 ansible_port=70000'), /^inv\.ini:4: ansible_port: "70000"/],
      [`${CLUSTER}[all:vars]\ncoordination_backend=etcd\n`, /^inv\.ini:7: coordination_backend: "etcd" is not one of redis, zookeeper, file/],
      [`${CLUSTER}[all:vars]\nrabbitmq_user=st2 admin\n`, /^inv\.ini:7: rabbitmq_user: "st2 admin" cannot be used as a user name/],
      [`${CLUSTER}[all:vars]\nst2_public_url=st2.example.com\n`, /^inv\.ini:7: st2_public_url: "st2.example.com" is not an http\(s\) URL/],
    ];
    for (const [text, message] of cases) {
      assert.throws(() => settled(text), (err: unknown) => err instanceof InventoryError && message.test(err.message), String(message));
    }
  });

  it('refuse a bad -e value naming -e', () => {
    assert.throws(() => settled(CLUSTER, { st2_chatops: 'perhaps' }), (err: unknown) => err instanceof UsageError && /^-e st2_chatops: "perhaps" is not a boolean/.test(err.message));
  });

  it('refuse a value a config line cannot hold, naming the variable', () => {
    assert.throws(() => settled(CLUSTER, { redis_password: 'two\nlines' }), /-e redis_password: the value holds a line break/);
  });

  it('refuse an Erlang cookie Erlang cannot read, and a bad interface name, without printing the cookie', () => {
    for (const cookie of ['accentué', ' leading', 'trailing ', 'x'.repeat(256)]) {
      assert.throws(() => settled(CLUSTER, { rabbitmq_erlang_cookie: cookie }), (err: unknown) => err instanceof UsageError && /an Erlang cookie is printable ASCII/.test(err.message) && !err.message.includes(cookie), cookie);
    }
    const cookie = settled(CLUSTER, { rabbitmq_erlang_cookie: `in"ner sp'ace $x\\y` }).settings.rabbitmq_erlang_cookie;
    assert.ok(isSecret(cookie) && cookie.reveal() === `in"ner sp'ace $x\\y`);
    assert.throws(() => settled(CLUSTER, { lb_vip_interface: 'eth0 #x' }), /lb_vip_interface: "eth0 #x" is not a network interface name/);
    assert.equal(settled(CLUSTER, { lb_vip_interface: 'ens3' }).settings.lb_vip_interface, 'ens3');
  });

  it('hold a cluster-wide value set on some hosts for the whole cluster', () => {
    const s = settled(`${CLUSTER}[blueprint:vars]\nst2_version=2.10.4\n`);
    assert.deepEqual(s.hosts.map((h) => h.settings.st2_version), ['2.10.4', '2.10.4', '2.10.4']);
    assert.equal(s.origins.st2_version, 'inv.ini:7');
  });

  it('refuse two different values of a cluster-wide variable, naming both places', () => {
    assert.throws(() => settled(`${CLUSTER}[controller:vars]\nst2_version=3.8.1\n[blueprint:vars]\nst2_version=2.10.4\n`), /inv\.ini:9: st2_version is "2\.10\.4" here but "3\.8\.1" at inv\.ini:7: a cluster has one st2_version/);
    assert.throws(() => settled(`${CLUSTER}[controller:vars]\nredis_password=first-pw\n[blueprint:vars]\nredis_password=second-pw\n`), (err: unknown) => /redis_password differs from the one at inv\.ini:7/.test((err as Error).message) && !/first-pw|second-pw/.test((err as Error).message));
  });

  it('keep connection variables per host', () => {
    const s = settled(CLUSTER.replace('b2 ansible_host=10.0.3.12', 'b2 ansible_host=10.0.3.12 ansible_user=admin ansible_become=yes'));
    assert.deepEqual(s.hosts.map((h) => [h.settings.ansible_user, h.settings.ansible_become]), [[undefined, false], [undefined, false], ['admin', true]]);
  });

  it('warn about a variable one edit away from a known one, and only such', () => {
    const s = settled(`${CLUSTER}[all:vars]\nst2_verison=3.8.1\nmy_own_thing=1\npacks_delet=yes\n`);
    assert.deepEqual(s.warnings, [
      'inv.ini:7: st2_verison is not a variable st2prov knows; did you mean st2_version?',
      'inv.ini:9: packs_delet is not a variable st2prov knows; did you mean packs_delete?',
    ]);
    assert.ok(oneEditApart('abcd', 'abdc') && oneEditApart('abc', 'abcd') && oneEditApart('abcd', 'abxd') && !oneEditApart('abcd', 'badc'));
  });

  it('wrap secrets, st2prov’s own and by name', () => {
    const s = settled(`${CLUSTER}[all:vars]\nrabbitmq_password=given\nvault_token=x\n`);
    assert.ok(isSecret(s.settings.rabbitmq_password));
    for (const name of ['mistral_db_password', 'ansible_ssh_pass', 'ansible_become_password', 'api_key', 'st2_tls_key', 'vault_anything', 'my_secret', 'slack_token', 'db_passwd']) assert.ok(isSecretName(name), name);
    for (const name of ['st2_version', 'packs_dir', 'keyring', 'passage']) assert.ok(!isSecretName(name), name);
  });
});

describe('st2_packs', () => {
  it('reads names, name=version, git URLs and URL=ref, comma- or space-separated or a YAML list', () => {
    const s = settled(`${CLUSTER}[all:vars]\nst2_packs=aws=1.2.0, jira https://git.example.com/ops/stackstorm-my-pack.git=release/2 git@github.com:acme/st2_hello=0a1b2c\n`).settings;
    assert.deepEqual(s.st2_packs, [
      { name: 'aws', version: '1.2.0', spec: 'aws=1.2.0' },
      { name: 'jira', spec: 'jira' },
      { name: 'my_pack', url: 'https://git.example.com/ops/stackstorm-my-pack.git', ref: 'release/2', spec: 'https://git.example.com/ops/stackstorm-my-pack.git=release/2' },
      { name: 'st2_hello', url: 'git@github.com:acme/st2_hello', ref: '0a1b2c', spec: 'git@github.com:acme/st2_hello=0a1b2c' },
    ]);
    assert.deepEqual(VARIABLES.st2_packs.parse(['slack', 'file:///srv/packs/hello.git']).map((p) => p.name), ['slack', 'hello']);
    assert.deepEqual(settled(CLUSTER).settings.st2_packs, [], 'none by default');
  });

  it('refuses a malformed entry with the file:line that wrote it, before any host is contacted', () => {
    const cases: [string, RegExp][] = [
      ['AWS', /^inv\.ini:7: st2_packs: entry 1 \("AWS"\) is not a pack name/],
      ['aws=latest', /^inv\.ini:7: st2_packs: entry 1 asks for version "latest" of aws, which is not a pack version/],
      ['aws jira=1.0.0 aws=2.0.0', /^inv\.ini:7: st2_packs: entries 1 and 3 are both the pack aws/],
      ['core', /^inv\.ini:7: st2_packs: entry 1 is core, a pack st2 itself ships/],
      ['https://host/x.git=bad~ref', /^inv\.ini:7: st2_packs: entry 1 has "bad~ref" after "=", which is not a git ref/],
      ['https://host/My.Pack.git', /^inv\.ini:7: st2_packs: entry 1: its repository's name "My\.Pack" does not give a pack name/],
      ['ftp://host/x.git', /^inv\.ini:7: st2_packs: entry 1 is not a git URL/],
    ];
    for (const [value, message] of cases) {
      assert.throws(() => settled(`${CLUSTER}[all:vars]\nst2_packs=${value}\n`), (err: unknown) => err instanceof InventoryError && message.test(err.message), String(message));
    }
  });

  it('refuses credentials in a URL without repeating them', () => {
    for (const url of ['https://ghp_T0KEN@github.com/acme/hello.git', 'https://bob:hunter2@git.example.com/hello.git', 'ssh://bob:hunter2@git.example.com/hello.git']) {
      assert.throws(() => settled(`${CLUSTER}[all:vars]\nst2_packs=${url}\n`), (err: unknown) => err instanceof InventoryError
        && /^inv\.ini:7: st2_packs: entry 1 holds credentials in its URL/.test(err.message) && !/T0KEN|hunter2/.test(err.message), url);
    }
    assert.equal(settled(CLUSTER, { st2_packs: 'ssh://git@github.com/acme/hello.git' }).settings.st2_packs[0]!.name, 'hello', 'a deploy key\'s user is no credential');
  });

  it('refuses a pack that packs_dir also holds: one pack, two sources', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st2prov-packs-'));
    try {
      mkdirSync(join(dir, 'hello'));
      assert.throws(() => settled(`${CLUSTER}[all:vars]\nst2_packs=aws hello=1.0.0\n`, { packs_dir: dir }),
        (err: unknown) => err instanceof InventoryError && err.message.startsWith(`inv.ini:7: st2_packs declares hello, which ${join(dir, 'hello')} also holds`));
      assert.equal(settled(`${CLUSTER}[all:vars]\nst2_packs=aws\n`, { packs_dir: dir }).settings.st2_packs.length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('URL settings: credentials are never shown', () => {
  // what an operator gives coordination_url for an ensemble or a Redis of their own
  const URLS: [url: string, secrets: string[]][] = [
    ['redis://:hunter2-redis@10.0.3.50:6379', ['hunter2-redis']],
    ['zookeeper://zkuser:zk%2Fsecret@10.0.3.51:2181,10.0.3.52:2181/st2', ['zk%2Fsecret', 'zk/secret']],
    ['redis://10.0.3.50:26379?sentinel=st2&password=query-pw&sentinel_fallback=10.0.3.51:26379', ['query-pw']],
  ];
  const shown = (value: string) => mask(`${value}`);

  for (const [url, secrets] of URLS) {
    it(`coordination_url ${url.replace(/:\/\/.*/, '://…')}: parsed as given, its credentials masked in every form (${secrets.length})`, () => {
      const s = settled(CLUSTER, { coordination_url: url }).settings;
      assert.equal(s.coordination_url, url, 'st2 gets the URL as written');
      const text = shown(`[coordination]\nurl = ${url}\n${JSON.stringify({ url })}\nrequirepass ${secrets.at(-1)}`);
      for (const secret of secrets) assert.ok(!text.includes(secret), `${secret} masked in: ${text}`);
      assert.match(text, /url = [a-z]+:\/\/.*\*{8}/);
      assert.match(text, /10\.0\.3\.50|10\.0\.3\.51/, 'the hosts stay');
    });
  }

  it('two different coordination_url are refused naming both places, without their passwords', () => {
    assert.throws(() => settled(`${CLUSTER}[controller:vars]\ncoordination_url=redis://:first-conflict-pw@10.0.3.50:6379\n[blueprint:vars]\ncoordination_url=redis://:second-conflict-pw@10.0.3.50:6379\n`), (err: unknown) => {
      const message = mask((err as Error).message);
      assert.match(message, /inv\.ini:9: coordination_url is "redis:\/\/:\*{8}@10\.0\.3\.50:6379" here but "redis:\/\/:\*{8}@10\.0\.3\.50:6379" at inv\.ini:7/);
      return !/conflict-pw/.test(message);
    });
  });

  it('a coordination_url that is no URL is refused', () => {
    assert.throws(() => settled(CLUSTER, { coordination_url: '10.0.3.50:2181' }), /-e coordination_url: it is not a URL/);
  });

  it('st2_public_url and a mirror in st2_repo refuse credentials, which they would put where others read them', () => {
    assert.throws(() => settled(CLUSTER, { st2_public_url: 'https://admin:lb-pw@st2.example.com' }), (err: unknown) => /st2_public_url: the URL holds a user or password/.test((err as Error).message) && !mask((err as Error).message).includes('lb-pw'));
    assert.throws(() => settled(`${CLUSTER}[all:vars]\nst2_repo=https://deploy:mirror-pw@apt.example.com/st2\n`), (err: unknown) => err instanceof InventoryError && /^inv\.ini:7: st2_repo: the mirror's URL holds a user or password/.test(err.message) && /auth\.conf/.test(err.remedy ?? '') && !err.message.includes('mirror-pw'));
    assert.equal(settled(CLUSTER, { st2_repo: 'https://apt.example.com/st2' }).settings.st2_repo, 'https://apt.example.com/st2');
    assert.equal(settled(CLUSTER, { st2_public_url: 'https://st2.example.com' }).settings.st2_public_url, 'https://st2.example.com');
  });
});

describe('values given to commands on the hosts never start with "-"', () => {
  // each would be read as an option by the command it is given to: st2-pack-install and the
  // git clone it runs (--upload-pack=CMD runs CMD), apt-get, rabbitmqctl, ssh, pg_basebackup
  it('st2_packs refuses an entry starting with "-", written inline or in a YAML list, with file:line and the remedy', () => {
    for (const entry of ['--upload-pack=touch@host:x', '-uevil@host:acme/hello.git', '-oProxyCommand@host:acme/hello.git=v1', '-x']) {
      assert.throws(() => settled(`${CLUSTER}[all:vars]\nst2_packs=jira ${entry}\n`), (err: unknown) => err instanceof InventoryError
        && /^inv\.ini:7: st2_packs: entry 2 starts with "-", which st2-pack-install and git would read as an option/.test(err.message) && /none starts with "-"/.test(err.remedy ?? ''), entry);
    }
    assert.throws(() => VARIABLES.st2_packs.parse(['jira', '--upload-pack=x']), /entry 2 starts with "-"/);
    const yaml = 'all:\n  vars:\n    st2_packs:\n      - jira\n      - "-uevil@host:hello.git"\n  children:\n    controller: {hosts: {c: {ansible_host: 10.0.3.10}}}\n';
    assert.throws(() => settle(resolveInventory(parseYamlInventory(yaml, 'inv.yml'))), (err: unknown) => err instanceof InventoryError && /^inv\.yml:3: st2_packs: entry 2 starts with "-"/.test(err.message));
  });

  it('so do the user names, package, addresses and host names that reach a command line', () => {
    const cases: [vars: Record<string, string>, message: RegExp][] = [
      [{ rabbitmq_user: '-p' }, /rabbitmq_user: "-p" starts with "-", which the commands it is given to would read as an option, not as a user name/],
      [{ st2_auth_username: '--help' }, /st2_auth_username: "--help" starts with "-"/],
      [{ mongodb_package: '--allow-unauthenticated' }, /mongodb_package: "--allow-unauthenticated" starts with "-", .* not as a package name/],
      [{ mongodb_package: 'MongoDB' }, /mongodb_package: "MongoDB" is not a Debian package name/],
      [{ controller_address: '-oProxyCommand' }, /controller_address: "-oProxyCommand" starts with "-", .* not as a host name or IP address/],
      [{ postgresql_primary: '-h' }, /postgresql_primary: "-h" starts with "-"/],
      [{ st2_auth_ldap_host: 'ldap1,-x' }, /st2_auth_ldap_host: "-x" is not a host name or IP address/],
      [{ ansible_user: '-oProxyCommand=x' }, /ansible_user: "-oProxyCommand=x" starts with "-"/],
      [{ ansible_become_user: '-s' }, /ansible_become_user: "-s" starts with "-"/],
      [{ ansible_host: '-oProxyCommand' }, /ansible_host: "-oProxyCommand" starts with "-"/],
    ];
    for (const [vars, message] of cases) assert.throws(() => settled(CLUSTER, vars), (err: unknown) => err instanceof UsageError && message.test(err.message), String(message));
    const s = settled(CLUSTER, { rabbitmq_user: 'st2-mq', mongodb_package: 'mongodb-org', ansible_user: 'ubuntu' });
    assert.deepEqual([s.settings.rabbitmq_user, s.settings.mongodb_package, s.hosts[0]!.settings.ansible_user, s.hosts[0]!.settings.ansible_become_user], ['st2-mq', 'mongodb-org', 'ubuntu', 'root']);
  });

  it('an inventory host whose name starts with "-" is refused with file:line, INI and YAML', () => {
    assert.throws(() => settled('[blueprint]\nb1\n-oProxyCommand=x\n'), (err: unknown) => err instanceof InventoryError && /^inv\.ini:3: invalid host name/.test(err.message));
    assert.throws(() => settled('[blueprint]\nb1\n-oProxyCommand\n'), (err: unknown) => err instanceof InventoryError && /^inv\.ini:3: invalid host name "-oProxyCommand": it starts with "-"/.test(err.message));
    assert.throws(() => parseYamlInventory('blueprint:\n  hosts:\n    b1:\n    -oProxyCommand:\n', 'inv.yml'), (err: unknown) => err instanceof InventoryError && /^inv\.yml:4: invalid host name "-oProxyCommand": it starts with "-"/.test(err.message));
  });
});

