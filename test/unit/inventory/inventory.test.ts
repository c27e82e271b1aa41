import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InventoryError } from '../../../src/core/errors.js';
import { isSecret } from '../../../src/core/secret.js';
import { resolveInventory, type Inventory } from '../../../src/inventory/inventory.js';
import { parseInventory } from '../../../src/inventory/parse.js';
import { parseYamlInventory } from '../../../src/inventory/parseYaml.js';
import { parseExtraVars } from '../../../src/inventory/selection.js';
import { settle } from '../../../src/inventory/settings.js';
import { VARIABLES, isSecretName } from '../../../src/inventory/variables.js';

function inventory(text: string, env: NodeJS.ProcessEnv = {}, extraVars: Record<string, string> = {}): Inventory {
  return resolveInventory(parseInventory(text, 'test.ini'), { env, extraVars });
}

function host(inv: Inventory, name: string) {
  const h = inv.hosts.find((x) => x.name === name);
  assert.ok(h, `host ${name} exists`);
  return h;
}

// The examples of Ansible's inventory guide ("How to build your inventory"), INI form.
const ANSIBLE_GUIDE = `
mail.example.com

[webservers]
foo.example.com
bar.example.com

[dbservers]
one.example.com
two.example.com
three.example.com

[atlanta]
host1 http_port=80 maxRequestsPerChild=808
host2 http_port=303 maxRequestsPerChild=909

[raleigh]
host2
host3

[southeast:children]
atlanta
raleigh

[southeast:vars]
some_server=foo.southeast.example.com
halon_system_timeout=30
self_destruct_countdown=60
escape_pods=2

[usa:children]
southeast
northeast
southwest
northwest

[targets]
localhost              ansible_connection=local
other1.example.com     ansible_connection=ssh        ansible_user=myuser
other2.example.com     ansible_connection=ssh        ansible_user=myotheruser

[jumpers]
jumper ansible_port=5555 ansible_host=192.0.2.50
badwolf.example.com:5309

[ranged]
www[01:50:2].example.com
db-[a:f].example.com

[all:vars]
ntp_server=ntp.atlanta.example.com
`;

describe('inventory: the examples of Ansible’s inventory guide', () => {
  const inv = inventory(ANSIBLE_GUIDE);

  it('puts hosts before any section in ungrouped, and every host in all', () => {
    assert.deepEqual(inv.groups.get('ungrouped')!.hosts, ['mail.example.com']);
    assert.equal(inv.groups.get('all')!.hosts.length, inv.hosts.length);
  });

  it('expands numeric ranges with padding and step, and letter ranges', () => {
    const ranged = inv.groups.get('ranged')!.hosts;
    assert.deepEqual(ranged.slice(0, 3), ['www01.example.com', 'www03.example.com', 'www05.example.com']);
    assert.ok(ranged.includes('www49.example.com'));
    assert.ok(!ranged.includes('www50.example.com'));
    assert.deepEqual(ranged.filter((h) => h.startsWith('db-')), ['db-a.example.com', 'db-b.example.com', 'db-c.example.com', 'db-d.example.com', 'db-e.example.com', 'db-f.example.com']);
  });

  it('reads inline host variables as literals and :vars values as strings', () => {
    assert.equal(host(inv, 'host1').vars.http_port, 80);
    assert.equal(host(inv, 'host2').vars.maxRequestsPerChild, 909);
    assert.equal(host(inv, 'host1').vars.halon_system_timeout, '30');
  });

  it('takes host:port as ansible_port and keeps connection variables', () => {
    assert.equal(host(inv, 'badwolf.example.com').vars.ansible_port, 5309);
    assert.equal(host(inv, 'jumper').vars.ansible_host, '192.0.2.50');
    assert.equal(host(inv, 'jumper').vars.ansible_port, 5555);
  });

  it('resolves children transitively, creating groups only named as children', () => {
    assert.deepEqual(inv.groups.get('usa')!.hosts, ['host1', 'host2', 'host3']);
    assert.deepEqual(inv.groups.get('northeast')!.hosts, []);
    assert.deepEqual(host(inv, 'host3').vars.escape_pods, '2');
    assert.equal(host(inv, 'mail.example.com').vars.ntp_server, 'ntp.atlanta.example.com');
  });

  it('merges a host listed in two groups into one host', () => {
    assert.equal(inv.hosts.filter((h) => h.name === 'host2').length, 1);
    assert.deepEqual(host(inv, 'host2').groups.filter((g) => ['atlanta', 'raleigh'].includes(g)).sort(), ['atlanta', 'raleigh']);
  });
});

describe('inventory: variable precedence', () => {
  const text = `
[all:vars]
level=all
only_all=yes

[parent:children]
child

[parent:vars]
level=parent
from_parent=p

[child]
h1
h2 level=host

[child:vars]
level=child
`;
  it('host over child group over parent group over all', () => {
    const inv = inventory(text);
    assert.equal(host(inv, 'h1').vars.level, 'child');
    assert.equal(host(inv, 'h2').vars.level, 'host');
    assert.equal(host(inv, 'h1').vars.from_parent, 'p');
    assert.equal(host(inv, 'h1').vars.only_all, 'yes');
  });

  it('-e wins over everything and is reported as its origin', () => {
    const inv = inventory(text, {}, { level: 'extra' });
    assert.equal(host(inv, 'h2').vars.level, 'extra');
    assert.equal(host(inv, 'h2').origins.level, '-e');
    assert.equal(host(inv, 'h1').origins.from_parent, 'test.ini:11');
  });
});

describe('inventory: values', () => {
  it('keeps quoted values whole, with spaces, #, ; and =', () => {
    const inv = inventory(`h1 motd="a b # c; d=e" path='it''s' plain=x#y\n[all:vars]\nurl = "http://x/?a=b;c#d"\n`);
    assert.equal(host(inv, 'h1').vars.motd, 'a b # c; d=e');
    assert.equal(host(inv, 'h1').vars.plain, 'x#y');
    assert.equal(host(inv, 'h1').vars.url, 'http://x/?a=b;c#d');
  });

  it('ignores comments after a host line', () => {
    const inv = inventory('h1 a=1 # a comment b=2\n');
    assert.deepEqual(Object.keys(host(inv, 'h1').vars), ['a']);
  });

  it('makes secret-named variables Secrets and resolves env:NAME', () => {
    const inv = inventory('h1 mistral_db_password=s3cret-value\n[all:vars]\nrabbitmq_password=env:RMQ_PW\n', { RMQ_PW: 'from-the-env' });
    const h = host(inv, 'h1');
    assert.ok(isSecret(h.vars.mistral_db_password));
    assert.ok(isSecret(h.vars.rabbitmq_password));
    assert.equal((h.vars.rabbitmq_password as { reveal(): string }).reveal(), 'from-the-env');
    assert.equal(JSON.stringify(h.vars), JSON.stringify({ rabbitmq_password: '********', mistral_db_password: '********' }));
  });

  it('gives controller and blueprint hosts their role', () => {
    const inv = inventory('[controller]\nc1\n[blueprint]\nb[1:2]\n');
    assert.equal(host(inv, 'c1').role, 'controller');
    assert.equal(host(inv, 'b2').role, 'blueprint');
  });
});

describe('inventory: malformed input names file and line', () => {
  const cases: [string, string, number, RegExp][] = [
    ['unterminated quote', 'h1 a="open\n', 1, /unterminated double quote/],
    ['unknown section type', '[web]\nh1\n\n[web:hosts]\nh2\n', 4, /unknown section type ":hosts"/],
    ['a host word without =', '[web]\nh1 port 22\n', 2, /expected key=value after host "h1" \(near "port"\)/],
    ['a backwards range', '[web]\nnode[5:1]\n', 2, /runs backwards/],
    ['a :vars line without =', '[web:vars]\njust_a_word\n', 2, /expected key=value in \[web:vars\]/],
    ['a broken section header', '[web\nh1\n', 1, /cannot read section header/],
    ['two hosts on a children line', '[a:children]\nb c\n', 2, /one group name per line/],
    ['an unset environment variable', 'h1\n[all:vars]\nrabbitmq_password=env:NOT_SET_ANYWHERE\n', 3, /NOT_SET_ANYWHERE, which is not set/],
    ['a host in two roles', '[controller]\nx\n[blueprint]\nx\n', 2, /both the controller and the blueprint group/],
    ['a port out of range', 'h1:99999\n', 1, /port 99999 out of range/],
  ];
  for (const [what, text, line, message] of cases) {
    it(what, () => {
      assert.throws(() => inventory(text), (err: unknown) => {
        assert.ok(err instanceof InventoryError, `InventoryError, got ${err}`);
        assert.equal(err.file, 'test.ini');
        assert.equal(err.line, line);
        assert.match(err.message, message);
        assert.match(err.message, new RegExp(`^test\\.ini:${line}: `));
        return true;
      });
    });
  }

  it('a group that is its own ancestor', () => {
    assert.throws(() => inventory('[a:children]\nb\n[b:children]\na\n[a]\nh\n'), /its own ancestor/);
  });
});

describe('inventory: names of Object.prototype are names like any other', () => {
  // Every member of Object.prototype an inventory may name, and __proto__, which an object's
  // assignment takes for its prototype: hosts, groups and variables of these names.
  const NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString', '__proto__', '__defineGetter__'];
  const INI = `[controller]
c1 ansible_host=10.0.3.10 constructor=5 __proto__=inline

[blueprint]
constructor ansible_host=10.0.3.11
__proto__ ansible_host=10.0.3.12
toString ansible_host=10.0.3.13

[valueOf]
constructor

[valueOf:vars]
hasOwnProperty=h
__proto__=from-valueOf

[__proto__:children]
valueOf

[all:vars]
${NAMES.map((n) => `${n}=all-${n}`).join('\n')}
`;
  const YAML = `all:
  vars:
${NAMES.map((n) => `    ${n}: all-${n}`).join('\n')}
  children:
    controller:
      hosts:
        c1: {ansible_host: 10.0.3.10, constructor: 5, __proto__: inline}
    blueprint:
      hosts:
        constructor: {ansible_host: 10.0.3.11}
        __proto__: {ansible_host: 10.0.3.12}
        toString: {ansible_host: 10.0.3.13}
    __proto__:
      children:
        valueOf:
          hosts:
            constructor:
          vars:
            hasOwnProperty: h
            __proto__: from-valueOf
            nested: {__proto__: {polluted: true}, constructor: c}
`;

  for (const [format, load] of [['INI', () => inventory(INI)], ['YAML', () => resolveInventory(parseYamlInventory(YAML, 'test.yml'))]] as const) {
    it(`${format}: every host, group and variable is read as written, and nothing is inherited`, () => {
      const inv = load();
      assert.deepEqual(inv.hosts.map((h) => h.name), ['c1', 'constructor', '__proto__', 'toString']);
      assert.deepEqual(host(inv, 'constructor').groups, ['all', '__proto__', 'blueprint', 'valueOf']);
      assert.deepEqual(inv.groups.get('__proto__')!.children, ['valueOf']);
      for (const name of NAMES) {
        assert.ok(Object.hasOwn(host(inv, 'toString').vars, name), `${name} is toString's own variable`);
        assert.equal(host(inv, 'toString').vars[name], `all-${name}`, name);
        assert.match(host(inv, 'toString').origins[name]!, /^test\.(?:ini|yml):\d+$/, name);
      }
      assert.equal(host(inv, 'c1').vars.constructor, 5);
      assert.equal(host(inv, 'c1').vars.__proto__, 'inline');
      assert.equal(host(inv, 'constructor').vars.__proto__, 'from-valueOf');
      assert.equal(host(inv, 'constructor').vars.hasOwnProperty, 'h');
      if (format === 'YAML') {
        const nested = host(inv, 'constructor').vars.nested as Record<string, unknown>;
        assert.deepEqual(Object.keys(nested), ['__proto__', 'constructor']);
        assert.equal(Object.getPrototypeOf(nested), Object.prototype, 'a mapping inside a value is a plain object whose __proto__ key is data');
        assert.equal(({} as Record<string, unknown>).polluted, undefined);
      }
      // a variable not set is not found on the prototype
      const bare = inventory('[blueprint]\nb1\n');
      assert.equal(host(bare, 'b1').vars.constructor, undefined);
      assert.equal(host(bare, 'b1').vars.toString, undefined);
    });

    it(`${format}: the typed settings read every host, and such names are no st2prov variable`, () => {
      const s = settle(load());
      assert.equal(s.hosts.length, 4);
      assert.deepEqual(s.warnings, []);
      assert.equal(s.hosts.find((h) => h.name === '__proto__')!.address, '10.0.3.12');
      assert.ok(NAMES.every((n) => !Object.hasOwn(VARIABLES, n) && !isSecretName(n)));
    });
  }

  it('-e __proto__=x and -e constructor=y are variables over every host', () => {
    const inv = resolveInventory(parseInventory(INI, 'test.ini'), { extraVars: parseExtraVars(['__proto__=x', 'constructor=y', 'toString=z']) });
    for (const h of inv.hosts) {
      assert.equal(h.vars.__proto__, 'x');
      assert.equal(h.vars.constructor, 'y');
      assert.equal(h.vars.toString, 'z');
      assert.equal(h.origins.__proto__, '-e');
    }
    assert.equal(settle(inv).hosts.length, 4);
  });

  it('--limit selects a host or group of such a name', () => {
    const inv = inventory(INI);
    assert.deepEqual(inv.select('__proto__'), ['constructor']);
    assert.deepEqual(inv.select('constructor,toString'), ['constructor', 'toString']);
    assert.deepEqual(inv.select('all:!__proto__:!valueOf'), ['c1', '__proto__', 'toString']);
  });
});
