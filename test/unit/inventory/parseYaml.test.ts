import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InventoryError } from '../../../src/core/errors.js';
import { isSecret } from '../../../src/core/secret.js';
import { inventoryFormat } from '../../../src/inventory/format.js';
import { loadInventory, resolveInventory, type Inventory } from '../../../src/inventory/inventory.js';
import { MAX_INVENTORY_BYTES } from '../../../src/inventory/limits.js';
import { parseYamlInventory } from '../../../src/inventory/parseYaml.js';
import { settle } from '../../../src/inventory/settings.js';
import { projectRoot } from '../../../src/paths.js';
import { tempDir } from '../../harness/tempDir.js';

const fixtures = fileURLToPath(new URL('../../../../test/fixtures/inventory/', import.meta.url));

function inventory(text: string, env: NodeJS.ProcessEnv = {}, extraVars: Record<string, string> = {}): Inventory {
  return resolveInventory(parseYamlInventory(text, 'test.yml'), { env, extraVars });
}

function host(inv: Inventory, name: string) {
  const h = inv.hosts.find((x) => x.name === name);
  assert.ok(h, `host ${name} exists`);
  return h;
}

function tempFile(name: string, content: string | Buffer): string {
  const file = join(tempDir('inv'), name);
  writeFileSync(file, content);
  return file;
}

/** What a run sees of an inventory: hosts with roles, groups and values; where each value was written aside. */
function effective(inv: Inventory) {
  return {
    hosts: inv.hosts.map((h) => ({ name: h.name, role: h.role, groups: h.groups, vars: h.vars, varsWithOrigin: Object.keys(h.origins).sort() })),
    // Ansible makes every group without a parent a child of all in both formats; the YAML
    // form writes some of them under all:, INI never does, so all's children are set aside
    groups: Object.fromEntries(
      [...inv.groups].sort(([a], [b]) => a.localeCompare(b)).map(([name, g]) => [name, { hosts: g.hosts, children: name === 'all' ? [] : [...g.children].sort(), vars: g.vars }]),
    ),
  };
}

// The examples of Ansible's inventory guide ("How to build your inventory"), each in its INI
// and its YAML form (the form the guide leaves out written after the other one).
// basic-all.yml is the older guide's YAML form of basic.ini, everything under all:.
const TWINS: [yaml: string, ini: string][] = readdirSync(fixtures)
  .filter((f) => f.endsWith('.yml'))
  .sort()
  .map((f) => [f, f === 'basic-all.yml' ? 'basic.ini' : f.replace(/\.yml$/, '.ini')]);

/** INI :vars values are strings, YAML keeps numbers: the guide's one example where that shows. */
const INI_VARS_ARE_STRINGS: Record<string, Record<string, [ini: string, yaml: number]>> = {
  'group-of-groups.yml': { halon_system_timeout: ['30', 30], self_destruct_countdown: ['60', 60], escape_pods: ['2', 2] },
};

describe('YAML inventory: the examples of Ansible’s inventory guide match their INI twins', () => {
  it('has every pair of the guide', () => {
    assert.equal(TWINS.length, 13);
  });

  for (const [yamlFile, iniFile] of TWINS) {
    it(`${yamlFile} gives the hosts, groups and variables of ${iniFile}`, () => {
      const yaml = effective(loadInventory(join(fixtures, yamlFile), { env: {} }));
      const ini = effective(loadInventory(join(fixtures, iniFile), { env: {} }));
      assert.ok(yaml.hosts.length > 0);
      for (const [name, [iniValue, yamlValue]] of Object.entries(INI_VARS_ARE_STRINGS[yamlFile] ?? {})) {
        for (const view of [yaml, ini]) {
          const value = view === yaml ? yamlValue : iniValue;
          for (const h of view.hosts) if (name in h.vars) assert.equal(h.vars[name], value, `${h.name}.${name}`);
          for (const g of Object.values(view.groups)) if (name in g.vars) assert.equal(g.vars[name], value);
          for (const h of view.hosts) if (name in h.vars) h.vars[name] = String(value);
          for (const g of Object.values(view.groups)) if (name in g.vars) g.vars[name] = String(value);
        }
      }
      assert.deepEqual(yaml, ini);
    });
  }

  it('inventory/reference.yml is inventory/reference.ini, with YAML’s boolean for ansible_become', () => {
    const yaml = effective(loadInventory(join(projectRoot, 'inventory/reference.yml'), { env: {} }));
    const ini = effective(loadInventory(join(projectRoot, 'inventory/reference.ini'), { env: {} }));
    for (const view of [yaml, ini]) for (const h of view.hosts) h.vars.ansible_become = String(h.vars.ansible_become);
    yaml.groups.all!.vars.ansible_become = 'true';
    assert.deepEqual(yaml, ini);
  });

  it('reads a lone host name without a colon as one host, as Ansible’s yaml plugin documents', () => {
    const inv = inventory('all:\n  children:\n    group_x:\n      hosts:\n        test5\n');
    assert.deepEqual(inv.groups.get('group_x')!.hosts, ['test5']);
  });
});

describe('YAML inventory: values keep the types Ansible (PyYAML, YAML 1.1) gives them', () => {
  const inv = inventory(`
all:
  hosts:
    h1:
      port: 22
      on_word: on
      off_word: Off
      yes_word: yes
      no_word: NO
      letter_y: y
      letter_n: n
      quoted_yes: "yes"
      octal: 0755
      not_octal: 09
      underscores: 1_000
      float: 3.10
      exponent_without_dot: 1e3
      version: 2.10.4
      date: 2001-12-14
      huge: 12345678901234567890
      nothing:
      tilde: ~
      list: [a, 2, true]
      map: {nested: {deep: [1]}}
      folded: >
        two
        lines
      unsafe: !unsafe "{{ not_templated }}"
      explicit_str: !!str 0755
      explicit_float: !!float 1
`);
  const vars = host(inv, 'h1').vars;

  it('yes/no/on/off and true/false in their three spellings are booleans; y and n are strings', () => {
    assert.deepEqual([vars.on_word, vars.off_word, vars.yes_word, vars.no_word], [true, false, true, false]);
    assert.deepEqual([vars.letter_y, vars.letter_n, vars.quoted_yes], ['y', 'n', 'yes']);
  });

  it('numbers are numbers: octal, underscores, floats; what PyYAML leaves a string stays one', () => {
    assert.deepEqual([vars.port, vars.octal, vars.underscores, vars.float], [22, 493, 1000, 3.1]);
    assert.deepEqual([vars.not_octal, vars.exponent_without_dot, vars.version], ['09', '1e3', '2.10.4']);
  });

  it('dates and integers beyond 2^53 keep the text they were written as', () => {
    assert.equal(vars.date, '2001-12-14');
    assert.equal(vars.huge, '12345678901234567890');
  });

  it('empty values are null; lists and mappings are JSON-like data; !unsafe is a plain string', () => {
    assert.equal(vars.nothing, null);
    assert.equal(vars.tilde, null);
    assert.deepEqual(vars.list, ['a', 2, true]);
    assert.deepEqual(vars.map, { nested: { deep: [1] } });
    assert.equal(vars.folded, 'two lines\n');
    assert.equal(vars.unsafe, '{{ not_templated }}');
  });

  it('explicit tags apply whatever the text looks like', () => {
    assert.equal(vars.explicit_str, '0755');
    assert.equal(vars.explicit_float, 1);
  });

  it('merge keys (<<) and aliases share values, explicit keys winning', () => {
    const merged = inventory(`
all:
  vars:
    defaults: &defaults {ansible_user: deploy, ansible_port: 22}
  hosts:
    a.example.com: *defaults
    b.example.com:
      <<: *defaults
      ansible_port: 2222
`);
    assert.deepEqual(host(merged, 'a.example.com').vars.ansible_user, 'deploy');
    assert.deepEqual(host(merged, 'b.example.com').vars.ansible_port, 2222);
    assert.deepEqual(host(merged, 'b.example.com').vars.ansible_user, 'deploy');
    assert.equal(host(merged, 'b.example.com').origins.ansible_user, 'test.yml:4');
  });

  it('of several merged mappings the first wins, as the YAML merge key specifies', () => {
    const vars = host(inventory('all:\n  vars:\n    a: &a {x: from_a}\n    b: &b {x: from_b, y: from_b}\n  hosts:\n    h:\n      <<: [*a, *b]\n'), 'h').vars;
    assert.deepEqual([vars.x, vars.y], ['from_a', 'from_b']);
  });

  it('a key named __proto__ inside a value is data', () => {
    const v = host(inventory('all:\n  hosts:\n    h:\n      m: {__proto__: x}\n'), 'h').vars.m as Record<string, unknown>;
    assert.deepEqual(Object.keys(v), ['__proto__']);
    assert.equal(Object.getPrototypeOf(v), Object.prototype);
  });
});

describe('YAML inventory: precedence, as for INI', () => {
  const text = `all:
  vars:
    level: all
    only_all: yes
  children:
    parent:
      vars:
        level: parent
        from_parent: p
      children:
        child:
          hosts:
            h1:
            h2:
              level: host
          vars:
            level: child
`;
  it('host over child group over parent group over all', () => {
    const inv = inventory(text);
    assert.equal(host(inv, 'h1').vars.level, 'child');
    assert.equal(host(inv, 'h2').vars.level, 'host');
    assert.equal(host(inv, 'h1').vars.from_parent, 'p');
    assert.equal(host(inv, 'h1').vars.only_all, true);
    assert.deepEqual(host(inv, 'h1').groups, ['all', 'parent', 'child']);
  });

  it('names the line of each value, and -e over everything', () => {
    const inv = inventory(text, {}, { level: 'extra' });
    assert.equal(host(inv, 'h1').origins.from_parent, 'test.yml:9');
    assert.equal(host(inv, 'h1').origins.only_all, 'test.yml:4');
    assert.equal(host(inv, 'h2').vars.level, 'extra');
    assert.equal(host(inv, 'h2').origins.level, '-e');
  });

  it('a child group defined apart from its parent still wins over it', () => {
    const inv = inventory('parent:\n  vars: {x: parent}\n  children:\n    child:\nchild:\n  hosts:\n    h:\n  vars: {x: child}\n');
    assert.equal(host(inv, 'h').vars.x, 'child');
    assert.deepEqual(inv.groups.get('parent')!.hosts, ['h']);
  });

  it('a host listed twice is one host with both groups and both variables, the later value winning', () => {
    const inv = inventory('a:\n  hosts:\n    h: {x: 1, y: 1}\nb:\n  hosts:\n    h: {y: 2}\n');
    assert.equal(inv.hosts.length, 1);
    assert.deepEqual({ ...host(inv, 'h').vars }, { x: 1, y: 2 }, 'vars has no prototype (core/byName.ts): compared by its entries');
    assert.deepEqual(host(inv, 'h').groups, ['all', 'a', 'b']);
  });
});

describe('YAML inventory: ranges and ports in host keys', () => {
  const inv = inventory(`web:
  hosts:
    www[01:50:2].example.com:
      http_port: 80
    db-[a:c].example.com:
    badwolf.example.com:5309:
    jumper:22:
      ansible_port: 5555
`);
  it('expands numeric ranges with padding and stride, and letter ranges, each host with the variables', () => {
    const names = inv.groups.get('web')!.hosts;
    assert.deepEqual(names.slice(0, 3), ['www01.example.com', 'www03.example.com', 'www05.example.com']);
    assert.equal(names.filter((n) => n.startsWith('www')).length, 25);
    assert.ok(!names.includes('www50.example.com'));
    assert.deepEqual(names.filter((n) => n.startsWith('db-')), ['db-a.example.com', 'db-b.example.com', 'db-c.example.com']);
    assert.equal(host(inv, 'www49.example.com').vars.http_port, 80);
  });

  it('takes host:port as ansible_port, an ansible_port variable of the host winning', () => {
    assert.equal(host(inv, 'badwolf.example.com').vars.ansible_port, 5309);
    assert.equal(host(inv, 'jumper').vars.ansible_port, 5555);
  });
});

describe('YAML inventory: env:NAME and secrets, as for INI', () => {
  it('makes secret-named variables Secrets (numbers too) and resolves env:NAME', () => {
    const inv = inventory('all:\n  hosts:\n    h1:\n      mistral_db_password: 12345678\n  vars:\n    rabbitmq_password: env:RMQ_PW\n    st2_repo: env:REPO\n', { RMQ_PW: 'from-the-env', REPO: 'unstable' });
    const h = host(inv, 'h1');
    assert.ok(isSecret(h.vars.mistral_db_password));
    assert.equal((h.vars.mistral_db_password as { reveal(): string }).reveal(), '12345678');
    assert.equal((h.vars.rabbitmq_password as { reveal(): string }).reveal(), 'from-the-env');
    assert.equal(h.vars.st2_repo, 'unstable');
    assert.equal(JSON.stringify(h.vars), JSON.stringify({ rabbitmq_password: '********', st2_repo: 'unstable', mistral_db_password: '********' }));
  });

  it('an empty secret (null in YAML) is left out: generated, not the text "null"', () => {
    const inv = inventory('all:\n  hosts:\n    h1:\n  vars:\n    redis_password:\n');
    assert.equal(host(inv, 'h1').vars.redis_password, null);
    assert.equal(settle(inv).settings.redis_password, undefined);
  });
});

describe('YAML inventory: the format is chosen by extension, else by the first line', () => {
  it('by extension', () => {
    assert.equal(inventoryFormat('x.yml', '[web]\n'), 'yaml');
    assert.equal(inventoryFormat('x.YAML', ''), 'yaml');
    assert.equal(inventoryFormat('x.json', '{}'), 'yaml');
    assert.equal(inventoryFormat('x.ini', 'all:\n  hosts:\n'), 'ini');
  });

  it('by content when the extension says neither', () => {
    assert.equal(inventoryFormat('hosts', '# comment\n\nall:\n  hosts:\n    a:\n'), 'yaml');
    assert.equal(inventoryFormat('hosts', 'webservers:   # the web tier\n  hosts:\n'), 'yaml');
    assert.equal(inventoryFormat('hosts', 'all: {hosts: {a: }}\n'), 'yaml');
    assert.equal(inventoryFormat('hosts', '---\nall:\n'), 'yaml');
    assert.equal(inventoryFormat('hosts', '; comment\n[webservers]\nfoo\n'), 'ini');
    assert.equal(inventoryFormat('hosts', 'mail.example.com\n[web]\n'), 'ini');
    assert.equal(inventoryFormat('hosts', 'badwolf.example.com:5309\n  x\n'), 'ini');
    assert.equal(inventoryFormat('hosts', 'all:\nweb:\n'), 'ini');
    assert.equal(inventoryFormat('hosts', ''), 'ini');
  });

  it('loads an extensionless YAML file, and keeps state beside it as INI does (inventory.yml → inventory.st2prov)', () => {
    const file = tempFile('hosts', 'all:\n  hosts:\n    a.example.com:\n');
    assert.deepEqual(loadInventory(file).hosts.map((h) => h.name), ['a.example.com']);
    const yml = tempFile('inventory.yml', 'all:\n  hosts:\n    a:\n');
    assert.equal(loadInventory(yml).stateDir, yml.replace(/\.yml$/, '.st2prov'));
  });
});

describe('YAML inventory: malformed input names file and line', () => {
  const cases: [string, string, number, RegExp][] = [
    ['a top level that is not a mapping', '- all\n- web\n', 1, /a YAML inventory is a mapping of groups, not a list/],
    ['a group that is not a mapping', 'all:\n  hosts:\n    a:\nweb: [a, b]\n', 4, /group "web" must be a mapping of hosts, vars and children, not a list/],
    ['an unknown key under a group', 'web:\n  hosts:\n    a:\n  host:\n    b:\n', 4, /unknown key "host" in group "web" \(a group has only hosts, vars and children\)/],
    ['hosts written straight under a group', 'web:\n  a.example.com:\n', 2, /unknown key "a.example.com" in group "web".*hosts go under "hosts:"/],
    ['hosts as a list', 'web:\n  hosts:\n    - a\n    - b\n', 3, /hosts of group "web" must be a mapping of host names, not a list/],
    ['a host followed by a string', 'web:\n  hosts:\n    a: b\n', 3, /the variables of host "a" must be a mapping of name: value, not the string "b"/],
    ['vars as a list', 'web:\n  vars:\n    - a=1\n', 3, /the variables of group "web" must be a mapping/],
    ['children as a list', 'web:\n  children:\n    - db\n', 3, /children of group "web" must be a mapping of group names, not a list/],
    ['a duplicate host', 'web:\n  hosts:\n    a:\n    b:\n    a:\n', 5, /duplicate key "a" \(first at line 3\)/],
    ['a duplicate group', 'web:\n  hosts:\n    a:\nweb:\n', 4, /duplicate key "web" \(first at line 1\)/],
    ['a duplicate key written two ways', 'all:\n  vars:\n    x: {1: a, "1": b}\n', 3, /duplicate key "1"/],
    ['a child group cycle', 'a:\n  children:\n    b:\nb:\n  children:\n    a:\n', 6, /group "a" is its own ancestor \(a → b → a\)/],
    ['a group that is its own child', 'web:\n  children:\n    web:\n', 3, /group "web" is its own ancestor \(web → web\)/],
    ['all as a child', 'web:\n  children:\n    all:\n', 3, /group "all" cannot be a child/],
    ['an invalid group name', 'web servers:\n  hosts:\n    a:\n', 1, /invalid group name "web servers"/],
    ['an invalid host name', 'web:\n  hosts:\n    "a b":\n', 3, /invalid host name "a b"/],
    ['an invalid variable name', 'web:\n  vars:\n    my-var: 1\n', 3, /invalid variable name "my-var"/],
    ['a backwards range', 'web:\n  hosts:\n    node[5:1]:\n', 3, /range \[5:1\] runs backwards/],
    ['a range of a number and a letter', 'web:\n  hosts:\n    node[1:x]:\n', 3, /bounds must be two numbers or two letters/],
    ['a port out of range', 'web:\n  hosts:\n    a:99999:\n', 3, /port 99999 out of range/],
    ['a host key YAML reads as a number', 'web:\n  hosts:\n    12345:\n', 3, /key 12345 is read as the number 12345 by YAML, not as a name \(quote it: "12345"\)/],
    ['a group key YAML reads as a boolean', 'on:\n  hosts:\n    a:\n', 1, /key on is read as the boolean true/],
    ['a quote not closed', 'web:\n  hosts:\n    "a:\n    b:\n', 3, /YAML, column 5: this quote is not closed \(close the quote\)/],
    ['items at different indentation', 'web:\n  hosts:\n    a:\n   b:\n', 3, /YAML, column \d+: All mapping items must start at the same column/],
    ['a tab as indentation', 'web:\n\thosts:\n', 2, /Tabs are not allowed as indentation \(indent with spaces\)/],
    ['two YAML documents', 'web:\n---\ndb:\n', 2, /more than one YAML document/],
    ['an alias with no anchor', 'web:\n  vars:\n    x: *nowhere\n', 3, /alias \*nowhere names no anchor written before it/],
    ['an alias inside the node it names', 'web:\n  vars:\n    x: &a [1, *a]\n', 3, /alias \*a is used inside the node it names/],
    ['an ansible-vault value', 'web:\n  vars:\n    p: !vault |\n      $ANSIBLE_VAULT;1.1;AES256\n      6162\n', 3, /encrypted with ansible-vault \(.*env:NAME\)/],
    ['a tag st2prov does not read', 'web:\n  vars:\n    p: !!binary aGVsbG8=\n', 3, /Unresolved tag: !!binary/],
    ['an explicit !!int on a word', 'web:\n  vars:\n    p: 1\n    q: !!int many\n', 4, /"many" is not an integer/],
    ['an inventory plugin configuration', 'plugin: amazon.aws.aws_ec2\nregions: [eu-west-1]\n', 1, /configuration of an inventory plugin/],
    ['an empty file', '# nothing yet\n', 1, /the YAML inventory is empty/],
    ['an unset environment variable', 'all:\n  hosts:\n    h:\n  vars:\n    rabbitmq_password: env:NOT_SET_ANYWHERE\n', 5, /NOT_SET_ANYWHERE, which is not set/],
    ['a host in two roles', 'controller:\n  hosts:\n    x:\nblueprint:\n  hosts:\n    x:\n', 3, /both the controller and the blueprint group/],
  ];
  for (const [what, text, line, message] of cases) {
    it(what, () => {
      assert.throws(() => inventory(text), (err: unknown) => {
        assert.ok(err instanceof InventoryError, `InventoryError, got ${err}`);
        assert.equal(err.file, 'test.yml');
        assert.equal(err.line, line, err.message);
        assert.match(err.message, message);
        assert.match(err.message, new RegExp(`^test\\.yml:${line}: `));
        return true;
      });
    });
  }
});

describe('YAML inventory: limits that protect the tool', () => {
  /** line undefined: somewhere in the file (where the parser's stack runs out) */
  const refused = (text: string, line: number | undefined, message: RegExp) => {
    const started = Date.now();
    assert.throws(() => inventory(text), (err: unknown) => {
      assert.ok(err instanceof InventoryError, `InventoryError, got ${err}`);
      if (line === undefined) assert.ok(err.line >= 1, err.message);
      else assert.equal(err.line, line, err.message);
      assert.match(err.message, message);
      return true;
    });
    assert.ok(Date.now() - started < 5000, `refused in ${Date.now() - started} ms`);
  };

  it('reads a file of 4 MiB and refuses one byte more, and a device that never ends', () => {
    const head = 'all:\n  hosts:\n    a:\n';
    const atLimit = tempFile('at-limit.yml', head + '#'.repeat(MAX_INVENTORY_BYTES - head.length));
    assert.equal(loadInventory(atLimit).hosts.length, 1);
    for (const file of [tempFile('over.yml', head + '#'.repeat(MAX_INVENTORY_BYTES - head.length + 1)), tempFile('over.ini', '#'.repeat(MAX_INVENTORY_BYTES + 1)), '/dev/zero']) {
      assert.throws(() => loadInventory(file), (err: unknown) => err instanceof InventoryError && err.line === 1 && /larger than 4 MiB/.test(err.message));
    }
  });

  it('expands a range of 10,000 hosts and refuses a larger one before expanding it', () => {
    assert.equal(inventory('web:\n  hosts:\n    n[1:10000]:\n').hosts.length, 10_000);
    refused('web:\n  hosts:\n    n[0:10000]:\n', 3, /"n\[0:10000\]" expands to 10,001 hosts, more than the 10,000 one range may/);
    refused('web:\n  hosts:\n    n[1:999999999999]-[a:z]:\n', 3, /expands to 25,999,999,999,974 hosts/);
  });

  it('refuses more than 100,000 hosts in all', () => {
    const ranges = Array.from({ length: 10 }, (_, k) => `    r${k}-[1:10000]:\n`).join('');
    refused(`web:\n  hosts:\n${ranges}    one.more:\n`, 13, /more than 100,000 hosts/);
  });

  it('accepts children 100 deep and refuses 101, nested or named apart', () => {
    const nested = (depth: number) => {
      let text = 'g0:\n';
      for (let k = 1, indent = '  '; k <= depth; k++, indent += '    ') text += `${indent}children:\n${indent}  g${k}:\n`;
      return text;
    };
    const apart = (depth: number) => Array.from({ length: depth }, (_, k) => `g${k}:\n  children:\n    g${k + 1}:\n`).join('');
    assert.equal(inventory(nested(100)).groups.size, 103);
    assert.equal(inventory(apart(100)).groups.size, 103);
    refused(nested(101), 203, /children nest more than 100 levels deep/);
    refused(apart(101), 303, /children nest more than 100 levels deep \(g0 → g1 → g2 → … → g100 → g101\)/);
  });

  it('refuses aliases of aliases that would expand a billionfold ("billion laughs")', () => {
    const levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let k = 1; k < 9; k++) {
      const [prev, name] = [String.fromCharCode(96 + k), String.fromCharCode(97 + k)];
      levels.push(`${name}: &${name} [${Array(9).fill(`*${prev}`).join(',')}]`);
    }
    refused(`all:\n  vars:\n${levels.map((l) => `    ${l}`).join('\n')}\n`, 9, /YAML aliases expand to more than 1,000,000 nodes/);
  });

  it('refuses flow collections nested 500 deep before parsing them, and deep block nesting without crashing', () => {
    refused(`all:\n  vars:\n    x: ${'['.repeat(2_000_000)}\n`, 3, /YAML collections nest more than 500 levels deep/);
    let deep = '';
    for (let k = 0; k < 2000; k++) deep += `${' '.repeat(k)}k${k}:\n`;
    refused(deep, undefined, /the YAML nests too deeply to read/);
  });
});

describe('YAML inventory: what aliases expand to is bounded in text too, not only in nodes', () => {
  /** Refused with an InventoryError at this line, saying this, with a remedy. */
  const refusedAt = (text: string, line: number, message: RegExp) => {
    assert.throws(() => inventory(text), (err: unknown) => {
      assert.ok(err instanceof InventoryError, `InventoryError, got ${err}`);
      assert.equal(err.line, line, err.message);
      assert.match(err.message, message);
      assert.match(err.remedy ?? '', /write a long value once/);
      return true;
    });
  };
  const repeated = (value: string, aliases: number) =>
    `all:\n  vars:\n    big: &big "${value}"\n  hosts:\n    h1:\n${Array.from({ length: aliases }, (_, k) => `      v${k}: *big\n`).join('')}`;

  it('refuses many aliases of one long value at the alias that crosses 4 MiB (200 KB that expanded to 1.4 GB)', () => {
    // 64 Ki characters: the 64th alias is the first past 4 MiB (4,194,304 = 64 × 65,536)
    refusedAt(repeated('A'.repeat(65_536), 3000), 6 + 64, /^test\.yml:70: YAML aliases expand to more than 4 MiB of text \(this alias, \*big, repeats 65,536 characters\)/);
    assert.equal(inventory(repeated('A'.repeat(65_536), 64)).hosts.length, 1, 'exactly 4 MiB is allowed');
  });

  it('refuses aliases of aliases of long values that stay far below the node bound', () => {
    // 10 strings of 10,000 characters, nested 5 levels: 11,111 nodes, a billion characters; the
    // fifth *l1 (a million characters each) on l2's line crosses 4 MiB
    const levels = [`l0: &l0 [${Array(10).fill(`"${'x'.repeat(10_000)}"`).join(',')}]`];
    for (let k = 1; k < 5; k++) levels.push(`l${k}: &l${k} [${Array(10).fill(`*l${k - 1}`).join(',')}]`);
    refusedAt(`all:\n  vars:\n${levels.map((l) => `    ${l}`).join('\n')}\n`, 5, /YAML aliases expand to more than 4 MiB of text \(this alias, \*l1, repeats 1,000,000 characters\)/);
  });

  it('counts keys as text too: aliases of a mapping with long keys', () => {
    const key = 'k'.repeat(100_000);
    refusedAt(`all:\n  vars:\n    m: &m {"${key}": 1}\n${Array.from({ length: 50 }, (_, k) => `    c${k}: *m\n`).join('')}`, 4 + 41, /more than 4 MiB of text \(this alias, \*m, repeats 100,001 characters\)/);
  });

  it('still reads what inventories do with aliases: shared defaults merged into every host', () => {
    const hosts = Array.from({ length: 500 }, (_, k) => `    h${k}: {<<: *defaults, ansible_host: 10.0.${Math.floor(k / 250)}.${k % 250}}\n`).join('');
    const defaults = Array.from({ length: 40 }, (_, k) => `v${k}: "${'value-'.repeat(10)}${k}"`).join(', ');
    const inv = inventory(`web:\n  vars:\n    base: &defaults {${defaults}}\n  hosts:\n${hosts}`);
    assert.equal(inv.hosts.length, 500);
    assert.equal(host(inv, 'h499').vars.v39, `${'value-'.repeat(10)}39`);
  });

  it('st2prov hosts refuses such a file in flat memory: peak RSS far below what the expansion would take', (t) => {
    // 118 KB, 3,000 aliases of a 64 KiB string: before this bound `hosts` took 680 MB (1.07 GB with
    // --json) to print 197 MB; refused, it peaks where any YAML inventory does (~55-85 MB here)
    const file = tempFile('aliases.yml', repeated('A'.repeat(65_536), 3000));
    const peakRss = `data:text/javascript,process.on('exit', () => process.stderr.write('peak-rss ' + process.resourceUsage().maxRSS + '\\n'))`;
    for (const extra of [[], ['--json']]) {
      const run = spawnSync(process.execPath, ['--import', peakRss, join(projectRoot, 'bin/st2prov.js'), 'hosts', file, ...extra], { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
      assert.equal(run.status, 1, run.stderr.slice(0, 500));
      assert.match(run.stderr, /aliases\.yml:70: YAML aliases expand to more than 4 MiB of text/);
      assert.equal(run.stdout, '');
      const kib = Number(/peak-rss (\d+)/.exec(run.stderr)?.[1]);
      t.diagnostic(`st2prov hosts ${extra.join(' ')}: peak RSS ${Math.round(kib / 1024)} MiB`);
      assert.ok(kib > 0 && kib < 200 * 1024, `peak RSS ${Math.round(kib / 1024)} MiB, under 200 MiB`);
    }
  });
});

describe('st2prov hosts with a YAML inventory', () => {
  const st2prov = (...args: string[]) => spawnSync(process.execPath, [join(projectRoot, 'bin/st2prov.js'), ...args], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

  it('prints the resolved inventory of inventory.yml', () => {
    const file = tempFile('inventory.yml', 'controller:\n  hosts:\n    c1: {ansible_host: 10.0.3.10}\nblueprint:\n  hosts:\n    b[1:2]:\n  vars:\n    st2_auth_password: s3cret-value\n');
    const run = st2prov('hosts', file, '--json');
    assert.equal(run.status, 0, run.stderr);
    const doc = JSON.parse(run.stdout) as { hosts: { name: string; role: string; vars: Record<string, unknown>; origins: Record<string, string> }[] };
    assert.deepEqual(doc.hosts.map((h) => [h.name, h.role]), [['c1', 'controller'], ['b1', 'blueprint'], ['b2', 'blueprint']]);
    assert.equal(doc.hosts[1]!.vars.st2_auth_password, '********');
    assert.equal(doc.hosts[0]!.origins.ansible_host, `${file}:3`);
    assert.ok(!run.stdout.includes('s3cret-value'));
  });

  it('exits 1 naming file:line for a broken one, never 70', () => {
    const file = tempFile('inventory.yml', 'web:\n  hosts:\n    - a\n');
    const run = st2prov('hosts', file);
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`^st2prov: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3: hosts of group "web" must be a mapping`));
  });
});
