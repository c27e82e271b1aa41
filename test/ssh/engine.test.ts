import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { failures, st2prov, testPlaybook } from '../harness/cli.js';
import { useSshd } from '../harness/sshd.js';
import { workspace } from '../harness/workspace.js';


describe('engine contracts on a real sshd', () => {
  const sshd = useSshd();

  it('remembers handlers owed by a failed run and runs them on the next apply', async () => {
    const ws = workspace(sshd(), { vars: { fail_here: 'yes' } });
    const failed = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--skip-tags', 'slow', '--json']);
    assert.equal(failed.code, 2);
    assert.ok(!existsSync(join(ws.target, 'handler.log')), 'a failed play does not run its handlers');
    const ledger = JSON.parse(readFileSync(join(ws.dir, 'inventory.st2prov/owed-handlers.json'), 'utf8')) as Record<string, Record<string, string[]>>;
    assert.deepEqual(ledger.root, { 'pending and handlers': ['restart app'] });

    const fixed = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--skip-tags', 'slow', '-e', 'fail_here=no', '--json']);
    assert.equal(fixed.code, 0, failures(fixed));
    const steps = fixed.json.hosts[0]!.steps;
    assert.equal(steps.find((s) => s.step === 'edit config')!.status, 'ok', 'nothing changed this time');
    assert.equal(steps.find((s) => s.step === 'handler: restart app')!.status, 'changed');
    assert.equal(readFileSync(join(ws.target, 'handler.log'), 'utf8'), 'restart\n');
    assert.deepEqual(JSON.parse(readFileSync(join(ws.dir, 'inventory.st2prov/owed-handlers.json'), 'utf8')), {});

    const third = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--skip-tags', 'slow', '-e', 'fail_here=no']);
    assert.equal(third.code, 0);
    assert.equal(readFileSync(join(ws.target, 'handler.log'), 'utf8'), 'restart\n', 'paid once, not again');
  });

  it('two concurrent applies on one host never interleave', async () => {
    const ws = workspace(sshd());
    const [a, b] = await Promise.all([
      st2prov(['apply', ws.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--tags', 'slow', '-e', 'run_id=A']),
      st2prov(['apply', ws.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--tags', 'slow', '-e', 'run_id=B']),
    ]);
    assert.equal(a.code, 0, a.stderr);
    assert.equal(b.code, 0, b.stderr);
    const log = readFileSync(join(ws.target, 'slow.log'), 'utf8').trim().split('\n');
    assert.equal(log.length, 4);
    assert.ok(
      JSON.stringify(log) === JSON.stringify(['start A', 'end A', 'start B', 'end B']) || JSON.stringify(log) === JSON.stringify(['start B', 'end B', 'start A', 'end A']),
      `serialised: ${log.join(', ')}`,
    );
    assert.match(a.stderr + b.stderr, /waiting for another st2prov run on this host/);
  });

  it('--tags and --skip-tags select steps', async () => {
    const ws = workspace(sshd());
    const run = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('pendingAndHandlers'), '--tags', 'slow', '--json']);
    assert.deepEqual(run.json.hosts[0]!.steps.map((s) => s.step), ['slow']);
  });

  it('a template using an undefined variable fails naming the template and the variable', async () => {
    const ws = workspace(sshd());
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('templateError'), '--json']);
    assert.equal(run.code, 2);
    assert.match(run.json.hosts[0]!.reason!, /template undefined-var\.ejs line 1 uses variable "listen_port", which is not defined/);
    assert.ok(!existsSync(join(ws.target, 'x.conf')));
  });

  it('malformed inventories exit 1 with file:line and contact no host', async () => {
    const cases: [string, RegExp][] = [
      ['[testhosts]\nh1 ansible_host=127.0.0.1 ansible_port=PORT "unterminated\n', /inventory\.ini:2: unterminated double quote/],
      ['[testhosts]\nh1 ansible_host=127.0.0.1 ansible_port=PORT\n[testhosts:hosts]\n', /inventory\.ini:3: unknown section type/],
      ['[testhosts]\nh1 ansible_host=127.0.0.1 port PORT\n', /inventory\.ini:2: expected key=value after host "h1"/],
      ['[testhosts]\nh[9:1] ansible_host=127.0.0.1 ansible_port=PORT\n', /inventory\.ini:2: range \[9:1\] runs backwards/],
      ['[testhosts]\nh1 ansible_host=127.0.0.1 ansible_port=PORT\n[all:vars]\nredis_password=env:ST2PROV_SURELY_UNSET\n', /inventory\.ini:4: redis_password refers to environment variable ST2PROV_SURELY_UNSET/],
    ];
    const ws = workspace(sshd());
    const before = readFileSync(sshd().knownHosts, 'utf8');
    for (const [text, message] of cases) {
      writeFileSync(ws.inventory, text.replace('PORT', String(sshd().port)));
      const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become')]);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '', 'no recap: nothing ran');
    }
    assert.equal(readFileSync(sshd().knownHosts, 'utf8'), before);
    assert.ok(!existsSync(join(ws.target, 'h1.conf')));
  });

  it('a file that fails its validator leaves the live file as it was, and no temp file', async () => {
    const ws = workspace(sshd());
    const good = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('validated'), '-e', 'content=good one']);
    assert.equal(good.code, 0, good.stderr);
    const bad = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('validated'), '-e', 'content=bad one', '--json']);
    assert.equal(bad.code, 2);
    assert.match(bad.json.hosts[0]!.reason!, /not good: bad one/);
    assert.match(bad.json.hosts[0]!.reason!, /validation failed; .*app\.conf left as it was/);
    assert.equal(readFileSync(join(ws.target, 'app.conf'), 'utf8'), 'good one\n');
    assert.deepEqual(readdirSync(ws.target).filter((f) => f.startsWith('.st2prov')), []);
  });

  it('refuses bad options, settings and topology before contacting any host (exit 1, never 70)', async () => {
    const ws = workspace(sshd());
    const base = readFileSync(ws.inventory, 'utf8');
    const controllerless = base.replace('[testhosts]', '[blueprint]');
    const twoControllers = `${base}\n[controller]\nc1 ansible_host=127.0.0.1 ansible_port=${sshd().port}\nc2 ansible_host=127.0.0.1 ansible_port=${sshd().port}\n`;
    const knownHostsDir = mkdtempSync(join(ws.dir, 'kh-'));
    const notAModule = join(ws.dir, 'not-a-module.js');
    writeFileSync(notAModule, 'this is not JavaScript (\n');
    const cases: [string[], string | undefined, RegExp][] = [
      [['--forks', 'abc'], undefined, /--forks must be a positive whole number, not "NaN"/],
      [['--forks', '0'], undefined, /--forks must be a positive whole number/],
      [['--timeout', '0'], undefined, /--timeout must be a positive number/],
      [['--limit', '~('], undefined, /--limit "~\(" is not a valid regular expression/],
      [['--playbook', notAModule], undefined, /cannot load playbook .*not-a-module\.js/],
      [['--known-hosts', knownHostsDir], undefined, /cannot read known_hosts .*kh-.* is not a regular file/],
      [['-e', 'ansible_port=notaport'], undefined, /-e ansible_port: "notaport" is not a whole number from 1 to 65535/],
      [['--playbook', 'site'], controllerless, /blueprints but no host in \[controller\]/],
      [['--playbook', 'site'], twoControllers, /the inventory has 2 hosts in \[controller\]/],
    ];
    const before = readFileSync(sshd().knownHosts, 'utf8');
    for (const [args, inventory, message] of cases) {
      writeFileSync(ws.inventory, inventory ?? base);
      const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become'), ...args]);
      assert.equal(run.code, 1, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      assert.equal(run.stdout, '', 'no recap: nothing ran');
    }
    assert.equal(readFileSync(sshd().knownHosts, 'utf8'), before);
    assert.deepEqual(readdirSync(ws.target), [], 'no host was touched');
  });

  it('refuses a corrupt list of owed handlers before contacting any host', async () => {
    const ws = workspace(sshd());
    mkdirSync(join(ws.dir, 'inventory.st2prov'), { mode: 0o700 });
    writeFileSync(join(ws.dir, 'inventory.st2prov', 'owed-handlers.json'), '{ not json');
    const run = await st2prov(['apply', ws.inventory, '--playbook', testPlaybook('become')]);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /cannot read .*owed-handlers\.json/);
    assert.deepEqual(readdirSync(ws.target), []);
  });

  it('diff writes nothing on the control machine: no state folder, no known_hosts entry', async () => {
    const file = join(sshd().dir, 'known_hosts.diff-only');
    writeFileSync(file, '');
    const ws = workspace(sshd(), { knownHosts: file });
    const run = await st2prov(['diff', ws.inventory, '--playbook', testPlaybook('become'), '--accept-new-host-keys']);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(!existsSync(join(ws.dir, 'inventory.st2prov')), 'no state folder');
    assert.equal(readFileSync(file, 'utf8'), '', 'the key was trusted for the run, not recorded');
  });
});
