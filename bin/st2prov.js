#!/usr/bin/env node
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

// A packed st2prov always has dist/ (prepack builds it); a clone has it only after a build.
const cli = new URL('../dist/src/cli.js', import.meta.url);
if (!existsSync(cli)) {
  process.stderr.write(`st2prov: ${fileURLToPath(cli)} is missing: st2prov is not built.\n  In a clone, run npm run build; to install, use npm install -g st2prov or a tarball made by npm pack.\n`);
  process.exit(1);
}
const { main } = await import(cli.href);

process.exitCode = await main(process.argv.slice(2));
