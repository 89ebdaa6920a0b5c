#!/usr/bin/env node
// The command line, as scripts/bundle.mjs bundles it (npm run build; scripts/setup runs it). CommonJS (bin/package.json),
// so that the hot commands (dist/bundle/hot.cjs: version, ps) start without Node's ES module loader; every other
// command line loads dist/bundle/cli.js. Where Node has a compile cache (22.1+) it is turned on first, so that V8
// compiles the bundle's code once, not at every start.
'use strict';
require('node:module').enableCompileCache?.();

const argv = process.argv.slice(2);
const hot = require('../dist/bundle/hot.cjs').runHot(argv);
(hot ?? import('../dist/bundle/cli.js').then(({ main }) => main(argv))).then((code) => {
  process.exitCode = code;
});
