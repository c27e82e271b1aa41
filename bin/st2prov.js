#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A packed st2prov always has dist/ (prepack builds it); a clone has it only after a build.
const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(`st2prov: ${fileURLToPath(cli)} is missing: st2prov is not built.\n  In a clone, run npm run build; to install, use npm install -g st2prov or a tarball made by npm pack.\n`);
  process.exit(1);
}
const { main, reportError } = await import(cli.href);

// an exception no code path caught is a bug of st2prov: said as one (exit 70), never Node's exit 1 of a usage error
const internal = (err) => process.exit(reportError(err));
process.on('uncaughtException', internal);
process.on('unhandledRejection', internal);

// a reader that went away (st2prov hosts | head) ends the output, not in an error
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  internal(err);
});

process.exitCode = await main(process.argv.slice(2));
// the run is over once its recap is out: a socket or timer left behind must not hold the
// process; should one, it is said (a bug to fix, which the tests look for) and the process ends
setTimeout(() => {
  const held = process.getActiveResourcesInfo().filter((r) => r !== 'TTYWrap');
  process.stderr.write(`st2prov: warning: the run was over but ${held.join(', ') || 'something'} still held the process, ended now (a bug in st2prov; please report it)\n`);
  process.exit();
}, 1000).unref();
