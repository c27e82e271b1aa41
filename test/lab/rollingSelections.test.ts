import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, describe, it } from 'node:test';
import { tracked } from '../harness/children.js';
import { changeLines, failures, projectDir, st2prov, type CliRun, type JsonReport } from '../harness/cli.js';
import { useLab } from '../harness/lab.js';
import { ssh } from '../harness/remote.js';
import { clientLoop, type Answer } from '../harness/traffic.js';

/**
 * The rolling rules under any selection, on one lab of 1 controller + 2 systemd blueprints
 * behind the controller's load balancer, a client sending a request through it every 50 ms
 * during the runs that restart st2: `apply --tags st2conf` with st2.conf edited on every
 * blueprint (the step that rolls is not selected) restarts each in its turn, drained; a
 * `restart` killed while the first blueprint is drained leaves it out, which `check` names, a
 * run that leaves it out (--limit) names too, and the next apply that reaches it puts back,
 * whatever its tags. Then, as a sudo user with NOPASSWD and a become password set all the same,
 * what goes on stdin (a file, the RabbitMQ password) arrives as sent.
 */
const BLUEPRINTS = ['st2-multi-node-1', 'st2-multi-node-2'];
const ST2CONF = 'the shared st2.conf, pointing at the controller';
const DRAIN = 'drain: out of the load balancer, singletons handed over';
const UNDRAIN = 'undrain: singletons back, into the load balancer';
const MEMBERS = '/etc/nginx/st2-upstream.d';

describe('every selection keeps the rolling rules, and a blueprint left drained is seen and put back', () => {
  const lab = useLab(2);
  const started = Date.now();
  after(() => process.stderr.write(`rollingSelections.test: ${((Date.now() - started) / 1000).toFixed(0)} s, lab included\n`));
  const controller = () => lab().hosts[0]!;
  const on = (name: string, command: string) => ssh(lab(), lab().hosts.find((h) => h.name === name)!.address, command);
  const run = (command: string, ...args: string[]) => st2prov([command, lab().inventory, ...args]);
  const drainedFiles = () => on(controller().name, `grep -l down ${MEMBERS}/*.conf`).stdout;
  /** each blueprint's steps that changed (or would), in order */
  const changedSteps = (r: JsonReport, host: string) => r.hosts.find((h) => h.host === host)!.steps.filter((s) => s.changes.length).map((s) => s.step);

  /** The run, with a client requesting through the load balancer around it; what the client saw. */
  const served = async (work: () => Promise<CliRun>) => {
    const clients = clientLoop(controller().address);
    const result = await work();
    await new Promise((r) => setTimeout(r, 500));
    return { result, answers: await clients.stop() };
  };
  const assertNoneFailed = (what: string, answers: Answer[]) => {
    const failed = answers.filter((a) => !a.ok);
    assert.ok(answers.length > 20, `${what}: the client sent requests (${answers.length})`);
    assert.deepEqual(failed, [], `${what}: ${failed.length} of ${answers.length} requests failed`);
    process.stderr.write(`${what}: ${answers.length} requests through the load balancer, none failed\n`);
  };

  it('deploys the cluster', async () => {
    const r = await run('apply', '--json');
    assert.equal(r.code, 0, failures(r));
    assert.equal(drainedFiles(), '', 'every blueprint in the load balancer');
  });

  it('apply --tags st2conf with st2.conf edited on every blueprint: diff shows each drained for the restart and put back, apply does exactly that, in turns, with no failed request', async () => {
    for (const b of BLUEPRINTS) assert.equal(on(b, "sed -i '1i # edited by hand' /etc/st2/st2.conf").code, 0);
    const pids = () => BLUEPRINTS.map((b) => on(b, 'systemctl show -p MainPID --value st2api').stdout.trim());
    const before = pids();
    const diff = await run('diff', '--tags', 'st2conf', '--json');
    assert.equal(diff.code, 0, failures(diff));
    for (const b of BLUEPRINTS) assert.deepEqual(changedSteps(diff.json, b), [ST2CONF, DRAIN, 'handler: restart st2', UNDRAIN], b);

    const { result, answers } = await served(() => run('apply', '--tags', 'st2conf', '--json'));
    assert.equal(result.code, 0, failures(result));
    assertNoneFailed('apply --tags st2conf', answers);
    assert.deepEqual(changeLines(result.json), changeLines(diff.json), 'apply did what diff showed');
    assert.deepEqual(new Set(answers.map((a) => a.host)), new Set(BLUEPRINTS), 'both blueprints served');
    const afterPids = pids();
    BLUEPRINTS.forEach((b, i) => assert.notEqual(afterPids[i], before[i], `${b}: st2api was restarted`));
    assert.equal(drainedFiles(), '', 'every blueprint is back in the load balancer');
    assert.equal(on(BLUEPRINTS[0]!, 'systemctl is-active st2timersengine').stdout, 'active\n', 'the timers engine is back on its node');
    assert.notEqual(on(BLUEPRINTS[1]!, 'systemctl is-active st2timersengine').code, 0, 'and stopped on its stand-in');
    const again = await run('diff', '--tags', 'st2conf', '--json');
    assert.deepEqual(changeLines(again.json), [], 'after the apply, diff shows nothing');
  });

  it('a restart killed while the first blueprint is drained leaves it out of the load balancer: check fails, naming it, where, and the remedy', async () => {
    const killed = await restartKilledAfterDrain(BLUEPRINTS[0]!);
    assert.ok(killed.killed, `the restart was killed in the first turn:\n${killed.output}`);
    assert.equal(drainedFiles(), `${MEMBERS}/${BLUEPRINTS[0]}.conf\n`, 'the first blueprint is left drained');
    const check = await run('check');
    assert.equal(check.code, 2, check.stdout + check.stderr);
    const failed = check.stdout.split('\n').filter((l) => l.startsWith('FAIL')).map((l) => l.replace(/\s+/g, ' '));
    assert.ok(failed.includes(`FAIL ${controller().name} load balancer sends requests to ${BLUEPRINTS[0]} (${MEMBERS}/${BLUEPRINTS[0]}.conf) — drained (down in ${MEMBERS}/${BLUEPRINTS[0]}.conf): left out of the load balancer by a run that stopped or failed in its turn; unless an st2prov run is in that turn now, st2prov apply --limit ${BLUEPRINTS[0]} (or st2prov restart --limit ${BLUEPRINTS[0]}) puts it back in its turn`), check.stdout);
    assert.ok(!failed.some((l) => l.includes(`sends requests to ${BLUEPRINTS[1]}`)), check.stdout);
  });

  it('a run that leaves the drained blueprint out (--limit) names it, with the remedy, in its recap and in --json, and leaves it as it is', async () => {
    const warning = { host: BLUEPRINTS[0], reason: `out of the load balancer on ${controller().name}, drained for a turn that did not end (a run stopped or failed there); this run leaves it out (--limit, --role)`, remedy: `st2prov apply --limit ${BLUEPRINTS[0]} (or st2prov restart --limit ${BLUEPRINTS[0]}) puts it back in its turn` };
    const diff = await run('diff', '--limit', BLUEPRINTS[1]!);
    assert.equal(diff.code, 0, diff.stdout + diff.stderr);
    assert.ok(diff.stdout.split('\n').includes(`warning: ${warning.host}: ${warning.reason}. ${warning.remedy}`), diff.stdout);
    const apply = await run('apply', '--limit', BLUEPRINTS[1]!, '--json');
    assert.equal(apply.code, 0, failures(apply));
    assert.deepEqual(apply.json.warnings, [warning]);
    assert.deepEqual(apply.json.hosts.map((h) => h.host), [BLUEPRINTS[1]]);
    assert.equal(drainedFiles(), `${MEMBERS}/${BLUEPRINTS[0]}.conf\n`, 'still drained: the run did not reach it');
  });

  it('the next apply that reaches it puts it back in its turn, though its tags select no step that rolls (diff shows it first); check passes again, and diff shows nothing', async () => {
    const diff = await run('diff', '--tags', 'st2conf', '--json');
    assert.equal(diff.code, 0, failures(diff));
    assert.deepEqual(changedSteps(diff.json, BLUEPRINTS[0]!), [UNDRAIN]);
    assert.deepEqual(changedSteps(diff.json, BLUEPRINTS[1]!), []);
    assert.ok(changeLines(diff.json).includes(`${BLUEPRINTS[0]} | ${UNDRAIN} | on ${controller().name}: ${BLUEPRINTS[0]} back in the load balancer (nginx reloaded)`), changeLines(diff.json).join('\n'));

    const { result, answers } = await served(() => run('apply', '--tags', 'st2conf', '--json'));
    assert.equal(result.code, 0, failures(result));
    assertNoneFailed('the drained blueprint put back', answers);
    assert.deepEqual(changeLines(result.json), changeLines(diff.json), 'apply did what diff showed');
    assert.equal(drainedFiles(), '', 'back in the load balancer');
    const check = await run('check');
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const again = await run('diff', '--json');
    assert.equal(again.code, 0, failures(again));
    assert.deepEqual(changeLines(again.json), [], 'converged');
  });

  it('as a sudo user whose sudo asks for no password, a become password set all the same: the RabbitMQ user’s password (on a script’s stdin) and st2.conf (a file written) set again as diff showed, check passes', async () => {
    // what the password reached before: a file write refused ("received 19 of 6 bytes"), and the RabbitMQ password prepended with it
    const asSudoUser = ['-e', 'ansible_user=labadmin', '-e', 'ansible_become=true', '-e', 'ansible_become_password=a password NOPASSWD never asks for'];
    assert.equal(on(controller().name, 'rabbitmqctl change_password st2 changed-by-hand >/dev/null').code, 0);
    assert.equal(on(BLUEPRINTS[1]!, "sed -i '1i # edited by hand' /etc/st2/st2.conf").code, 0);
    const diff = await run('diff', ...asSudoUser, '--json');
    assert.equal(diff.code, 0, failures(diff));
    const apply = await run('apply', ...asSudoUser, '--json');
    assert.equal(apply.code, 0, failures(apply));
    assert.deepEqual(changeLines(apply.json), changeLines(diff.json), 'apply did what diff showed');
    assert.ok(changeLines(apply.json).some((l) => l.startsWith(`${controller().name} |`) && /RabbitMQ/.test(l)), changeLines(apply.json).join('\n'));
    assert.equal(on(BLUEPRINTS[1]!, 'head -1 /etc/st2/st2.conf | grep -c "edited by hand" || true').stdout.trim(), '0', 'st2.conf written whole');
    assert.ok(!(apply.stdout + apply.stderr).includes('NOPASSWD never asks'), 'the become password is never printed');
    const check = await run('check');
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const again = await run('diff', ...asSudoUser, '--json');
    assert.deepEqual(changeLines(again.json), [], 'converged');
  });

  /** Starts `st2prov restart` and SIGKILLs it once the blueprint's drain has finished; resolves once it is dead. */
  async function restartKilledAfterDrain(host: string): Promise<{ killed: boolean; output: string }> {
    const child = tracked(spawn(process.execPath, [`${projectDir}bin/st2prov.js`, 'restart', lab().inventory, '-v'], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CI: 'true' } }));
    let output = '';
    let killed = false;
    child.stderr!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!killed && output.split('\n').includes(`[${host}] ${DRAIN}: changed`)) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    await new Promise<void>((resolve) => child.once('exit', () => resolve()));
    return { killed, output };
  }
});
