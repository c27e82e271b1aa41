import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { projectRoot } from '../../src/paths.js';
import { st2prov } from '../harness/cli.js';

/*
 * st2prov asks no questions (README, "No prompts"): what may destroy is opted into in the
 * inventory (packs_delete), shown by diff, or refused (a downgrade). So there is no --yes to
 * answer one, and a script written for a tool that had it fails loudly instead of assuming it
 * was heard.
 */
describe('the command line asks nothing and has no --yes', () => {
  for (const command of ['apply', 'diff', 'restart']) {
    it(`${command} --yes is an unknown option: exit 1, the usage hint, nothing run`, async () => {
      const run = await st2prov([command, 'no-such-inventory.ini', '--yes']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stderr, /^st2prov: Unknown argument: yes\nRun st2prov --help for usage\.\n$/);
      assert.equal(run.stdout, '');
    });
  }

  it('--help of every command and the README offer no --yes, and the README says why', async () => {
    for (const command of [[], ['apply'], ['diff'], ['restart'], ['check'], ['backup'], ['restore']]) {
      const help = await st2prov([...command, '--help']);
      assert.equal(help.code, 0);
      assert.doesNotMatch(help.stdout.replace('(there is no --yes)', ''), /--yes|\s-y\b/, `st2prov ${command.join(' ')} --help`);
      if (command.length === 0) assert.match(help.stdout, /st2prov asks no questions \(there is no --yes\): pack files are deleted only with\npacks_delete=true/);
    }
    const readme = readFileSync(join(projectRoot, 'README.md'), 'utf8');
    assert.doesNotMatch(readme.replace(/^### No prompts, no `--yes`[^]*?(?=^#)/m, ''), /--yes/, 'only the section that says why names it');
    assert.match(readme, /^### No prompts, no `--yes`$/m);
  });
});
