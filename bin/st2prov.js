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

process.exitCode = await main(process.argv.slice(2));
// the run is over once its recap is out: a socket or timer left behind must not hold the process
setTimeout(() => process.exit(), 1000).unref();
