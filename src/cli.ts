import { createRequire } from 'node:module';
import type { Argv } from 'yargs';
import type { RunCommandOptions } from './commands/run.js';
import type { Serial } from './engine/runner.js';
import type { Mode } from './core/results.js';
import { mask } from './core/secret.js';
import { st2provVersion } from './paths.js';

const EXIT_CODES = `st2prov asks no questions (there is no --yes): pack files are deleted only with
packs_delete=true, and diff shows each one first; a downgrade is refused.

Exit codes:
  0  success
  1  usage, inventory or playbook error, a refused version change, or a backup file
     that is not ours, is damaged or is of another cluster (no host touched)
  2  one or more hosts failed (check: a check failed)
  4  one or more hosts unreachable (2 and 4 add up: 6)
  8  diff --exit-code only: changes are pending
 70  internal error (a bug in st2prov)`;

function selection<T>(y: Argv<T>) {
  return y
    .positional('inventory', { type: 'string', default: 'inventory.ini', describe: 'Ansible-style inventory: INI, or YAML (.yml, .yaml)' })
    .option('limit', { alias: 'l', type: 'string', describe: 'host pattern: a,b  group  group:!host  group:&other  web*  ~regex (one that names nothing, like "", is refused)' })
    .option('role', { type: 'string', choices: ['controller', 'blueprint'], describe: 'only the hosts of this role' })
    .option('extra-vars', { alias: 'e', type: 'string', array: true, default: [] as string[], describe: 'key=value, over every inventory variable (repeatable)' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' });
}

/** What every command that contacts hosts takes: how many at once, and how to reach them. */
function connecting<T>(y: Argv<T>) {
  return reaching(selection(y));
}

/** How to reach the hosts (backup and restore take the whole inventory: no --limit or --role). */
function reaching<T>(y: Argv<T>) {
  return y
    .option('forks', { alias: 'f', type: 'number', default: 25, describe: 'hosts worked on at once' })
    .option('accept-new-host-keys', { type: 'boolean', default: false, describe: 'append unknown host keys to known_hosts (a changed key still fails)' })
    .option('known-hosts', { type: 'string', describe: 'known_hosts file (default ~/.ssh/known_hosts, or UserKnownHostsFile in ansible_ssh_common_args)' })
    .option('ssh-config', { type: 'string', describe: 'ssh client config (default ~/.ssh/config)' })
    .option('timeout', { type: 'number', default: 10, describe: 'seconds to wait for an SSH connection' })
    .option('retries', { type: 'number', default: 2, describe: 'connection attempts after the first, with backoff' })
    .option('verbose', { alias: 'v', type: 'boolean', default: false, describe: 'every step, and changes of an apply' })
    .check((a) => {
      positive('--forks', a.forks, { integer: true });
      positive('--timeout', a.timeout);
      atLeastZero('--retries', a.retries, { integer: true });
      return true;
    });
}

function runOptions<T>(y: Argv<T>) {
  return turnsAndFailures(connecting(y)
    .option('playbook', { type: 'string', default: 'site', describe: 'site, controller, blueprint, or the path of a compiled playbook module' })
    .option('tags', { type: 'string', array: true, default: [] as string[], describe: 'only steps with one of these tags (a restart they cause still waits for each blueprint\'s turn, drained)' })
    .option('skip-tags', { type: 'string', array: true, default: [] as string[], describe: 'leave out steps with these tags (the turns and drains stay)' }),
  'N or N%: at most this many hosts of a play in its disruptive part at once, in inventory order (default for rolling steps: 1)');
}

/** What a rolling restart takes: the hosts, how many at once, and the failure policy. */
function restartOptions<T>(y: Argv<T>) {
  return turnsAndFailures(connecting(y), 'N or N%: blueprints restarted at once (default 1)');
}

/** The inventory and -e, for the commands that work on the whole cluster. */
function wholeCluster<T>(y: Argv<T>) {
  return y
    .positional('inventory', { type: 'string', describe: 'the Ansible-style inventory of the cluster (INI or YAML)' })
    .option('extra-vars', { alias: 'e', type: 'string', array: true, default: [] as string[], describe: 'key=value, over every inventory variable (repeatable)' });
}

/** What a backup takes: where to write it, and how to reach the hosts. */
function backupOptions<T>(y: Argv<T>) {
  return reaching(wholeCluster(y))
    .option('output', { alias: 'o', type: 'string', describe: 'the backup file to write (never replaced; default st2prov-backup-INVENTORY-TIME.st2backup here)' })
    .option('lock-wait', { type: 'number', default: 60, describe: 'seconds to wait for another st2prov run on a host' })
    .check((a) => {
      atLeastZero('--lock-wait', a.lockWait);
      return true;
    });
}

/** What a restore takes: an apply's policy, its own dry run, on the whole cluster. */
function restoreOptions<T>(y: Argv<T>) {
  return turnsAndFailures(reaching(wholeCluster(y))
    .positional('backup', { type: 'string', describe: 'the file st2prov backup wrote' })
    .option('json', { type: 'boolean', default: false, describe: 'one JSON document on stdout' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'show what restore would change, as diff does; writes nothing (the backup\'s secrets are read from a private copy)' })
    .option('backup-key', { type: 'string', describe: 'the backup key the file was written with (a copy of the state folder\'s backup.key), when this state folder has none or another' }),
  'N or N%: blueprints restarted at once after the restore (default 1)');
}

/** How many hosts take their turn at once, when a run stops for failures, how long it waits for a host's lock. */
function turnsAndFailures<T>(y: Argv<T>, serial: string) {
  return y
    .option('max-fail-percent', { type: 'number', default: 100, describe: 'stop starting work once more than this share of hosts failed' })
    .option('any-errors-fatal', { type: 'boolean', default: false, describe: 'stop every host after the first failure' })
    .option('lock-wait', { type: 'number', default: 60, describe: 'seconds to wait for another st2prov run on a host' })
    .option('serial', { type: 'string', describe: serial })
    .check((a) => {
      if (a.serial !== undefined) serialOf(last(a.serial) as string);
      atLeastZero('--max-fail-percent', a.maxFailPercent);
      if ((last(a.maxFailPercent) as number) > 100) throw new CliUsage('--max-fail-percent must be from 0 to 100');
      atLeastZero('--lock-wait', a.lockWait);
      return true;
    });
}

/** --serial N or N%. */
function serialOf(text: string): Serial {
  const m = /^(\d+)(%?)$/.exec(String(text).trim());
  const n = m ? Number(m[1]) : NaN;
  if (!m || n < 1 || (m[2] && n > 100)) throw new CliUsage(`--serial must be a whole number of hosts (1 or more) or a percentage (1% to 100%), not "${text}"`);
  return m[2] ? { percent: n } : { count: n };
}

function positive(flag: string, value: unknown, options: { integer?: boolean } = {}): void {
  const n = last(value) as number;
  if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0 || (options.integer && !Number.isInteger(n))) throw new CliUsage(`${flag} must be a positive ${options.integer ? "whole number" : "number"}, not "${String(n)}"`);
}

function atLeastZero(flag: string, value: unknown, options: { integer?: boolean } = {}): void {
  const n = last(value) as number;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < 0 || (options.integer && !Number.isInteger(n))) throw new CliUsage(`${flag} must be a ${options.integer ? "whole number" : "number"} of 0 or more, not "${String(n)}"`);
}

type Args = Record<string, unknown>;

/** An option given twice takes its last value, as in ssh and Ansible (yargs would make it a list). */
function last<T>(value: T | T[]): T {
  return Array.isArray(value) ? value[value.length - 1]! : value;
}

/** Every single-valued option as its last value; the repeatable ones (-e, --tags, --skip-tags) stay lists. */
function lastValues(a: Args): Args {
  const repeatable = new Set(['extraVars', 'extra-vars', 'e', 'tags', 'skipTags', 'skip-tags', '_']);
  return Object.fromEntries(Object.entries(a).map(([k, v]) => [k, repeatable.has(k) ? v : last(v)]));
}

/** The options of any run (apply, diff, check) as the command takes them. */
function runArgs(mode: Mode, a: Args): RunCommandOptions {
  const list = (v: unknown) => ((v as string[] | undefined) ?? []).flatMap((t) => t.split(',')).filter(Boolean);
  return {
    mode,
    inventory: a.inventory as string,
    limit: a.limit as string | undefined,
    role: a.role as string | undefined,
    extraVars: a.extraVars as string[],
    playbook: (a.playbook as string | undefined) ?? 'check',
    forks: a.forks as number,
    tags: list(a.tags),
    skipTags: list(a.skipTags),
    anyErrorsFatal: Boolean(a.anyErrorsFatal),
    maxFailPercent: (a.maxFailPercent as number | undefined) ?? 100,
    lockWaitSeconds: (a.lockWait as number | undefined) ?? 60,
    ...(a.serial !== undefined ? { serial: serialOf(a.serial as string) } : {}),
    json: a.json as boolean,
    verbose: a.verbose as boolean,
    exitCode: Boolean(a.exitCode),
    ...connectionArgs(a),
  };
}

/** How to reach the hosts, as every command that contacts them takes it (see reaching()). */
function connectionArgs(a: Args) {
  return {
    acceptNewHostKeys: a.acceptNewHostKeys as boolean,
    knownHostsFile: a.knownHosts as string | undefined,
    sshConfigFile: a.sshConfig as string | undefined,
    connectTimeoutMs: (a.timeout as number) * 1000,
    retries: a.retries as number,
  };
}

/** yargs' CommonJS build: one bundled file, it loads in a fraction of its ES modules' time (start-up is most of a no-op run). */
const yargs = createRequire(import.meta.url)('yargs/yargs') as typeof import('yargs/yargs');

/*
 * yargs renders the chosen command's whole help on every run, in case its handler shows it
 * (ours never do); wrapped to the terminal that costs ~20 ms of CPU while the first
 * connections wait. Only a run that prints its help has it wrapped.
 */
function helpAsked(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || /^-[A-Za-z]*h[A-Za-z]*$/.test(a));
}

export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const version = st2provVersion();
  // a command's modules load when it runs: --help and completion load none of them
  const run = (mode: Mode, playbook?: string) => async (a: Args) => {
    const { runCommand } = await import('./commands/run.js');
    code = await runCommand(runArgs(mode, { ...lastValues(a), ...(playbook ? { playbook } : {}) }));
  };
  const parser = yargs(argv)
    .scriptName('st2prov')
    .usage('$0 <command> [inventory] [options]\n\nDeploys StackStorm in its high-availability layout over SSH.')
    .command('apply [inventory]', 'converge the hosts', (y) => runOptions(y), run('apply'))
    .command('diff [inventory]', 'dry run: exactly what apply would change, with unified diffs', (y) =>
      runOptions(y).option('exit-code', { type: 'boolean', default: false, describe: 'exit 8 when changes are pending' }), run('diff'))
    .command('restart [inventory]', 'rolling restart of st2 on the blueprints: each drained from the load balancer (singletons handed over), restarted, put back', (y) => restartOptions(y), run('apply', 'restart'))
    .command('check [inventory]', 'read-only health of a deployed cluster: components, load balancer (every blueprint reached, none left drained), dependencies, HA rules', (y) => connecting(y), run('check'))
    .command('backup <inventory>', 'one file (0600) with st2\'s MongoDB database, the cluster\'s material and the state folder\'s secrets', (y) => backupOptions(y), async (args) => {
      const a = lastValues(args);
      const { backupCommand } = await import('./commands/backup.js');
      code = await backupCommand({
        inventory: a.inventory as string,
        extraVars: a.extraVars as string[],
        ...(a.output !== undefined ? { output: a.output as string } : {}),
        lockWaitSeconds: a.lockWait as number,
        ...connectionArgs(a),
      });
    })
    .command('restore <inventory> <backup>', 'put a backup back on the cluster of the same inventory: state folder, apply, MongoDB, blueprint files, st2 restarted', (y) => restoreOptions(y), async (args) => {
      const a = lastValues(args);
      const { restoreCommand } = await import('./commands/restore.js');
      code = await restoreCommand({ ...runArgs(a.dryRun ? 'diff' : 'apply', { ...a, playbook: 'site' }), backup: a.backup as string, ...(a.backupKey !== undefined ? { backupKey: a.backupKey as string } : {}) });
    })
    .command('hosts [inventory]', 'hosts, groups, roles and typed variables with their origin (secrets masked)', (y) => selection(y), async (args) => {
      const a = lastValues(args);
      const { hostsCommand } = await import('./commands/hosts.js');
      code = await hostsCommand({ inventory: a.inventory as string, limit: a.limit as string | undefined, role: a.role as string | undefined, extraVars: a.extraVars as string[], json: a.json as boolean });
    })
    .example('$0 apply inventory.ini', 'converge every host')
    .example('$0 diff inventory.ini', 'show what apply would change')
    .example('$0 apply inventory.ini --role blueprint --limit st2-multi-node-2', 'one blueprint only')
    .example('$0 apply inventory.ini -e st2_version=3.8.1', 'rolling upgrade: one blueprint at a time, drained, no failed request')
    .example('$0 restart inventory.ini --serial 2', 'rolling restart of st2, two blueprints at a time')
    .example('$0 check inventory.ini', 'is the deployed cluster healthy?')
    .example('$0 backup inventory.ini -o cluster.st2backup', 'MongoDB, the cluster\'s material and secrets in one file')
    .example('$0 restore inventory.ini cluster.st2backup --dry-run', 'what restoring it would change')
    .example('$0 hosts inventory.ini --json', 'the resolved inventory')
    .epilogue(EXIT_CODES)
    .demandCommand(1, 'name a command: apply, diff, restart, check, backup, restore or hosts')
    .completion('completion', 'print a bash/zsh completion script (add its output to ~/.bashrc or ~/.zshrc)')
    .strict()
    .version(version)
    .help()
    .alias('h', 'help')
    .wrap(helpAsked(argv) ? Math.min(110, process.stdout.columns || 100) : null)
    .fail((message, err) => {
      throw err ?? new CliUsage(message);
    });
  try {
    await parser.parseAsync();
    return code;
  } catch (err) {
    return reportError(err);
  }
}

class CliUsage extends Error {}

/** An error as the user sees it, and its exit code: 1 for their mistakes, 70 for st2prov's. */
export function reportError(err: unknown): number {
  const e = err as Error & { exitCode?: number; remedy?: string };
  if (err instanceof CliUsage) {
    process.stderr.write(`st2prov: ${e.message}\nRun st2prov --help for usage.\n`);
    return 1;
  }
  if (e.exitCode === 1) {
    const remedy = e.remedy && !e.message.includes(e.remedy) ? `\n  ${e.remedy}` : '';
    process.stderr.write(`st2prov: ${mask(e.message)}${remedy}\n`);
    return 1;
  }
  process.stderr.write(`st2prov: internal error (a bug; please report it): ${mask(e.stack ?? String(err))}\n`);
  return 70;
}
