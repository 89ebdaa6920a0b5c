#!/usr/bin/env node
// The command line, as scripts/bundle.mjs bundles it (npm run build; scripts/setup runs it). Where Node has a
// compile cache (22.1+) it is turned on first, so that V8 compiles the bundle's code once, not at every start.
import module from 'node:module';

module.enableCompileCache?.();
const { main } = await import('../dist/bundle/cli.js');
process.exitCode = await main(process.argv.slice(2));
