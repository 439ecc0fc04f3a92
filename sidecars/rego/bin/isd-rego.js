#!/usr/bin/env node
// `isd-rego test|eval|check`: runs the TypeScript sources through tsx where it is installed (a checkout),
// the compiled dist/ otherwise (an installed package).
'use strict';
const path = require('node:path');

let cli;
try {
  require.resolve('tsx/cjs');
  require('tsx/cjs');
  cli = require(path.join(__dirname, '..', 'src', 'cli.ts'));
} catch (err) {
  if (err && err.code !== 'MODULE_NOT_FOUND') throw err;
  cli = require(path.join(__dirname, '..', 'dist', 'cli.js'));
}
process.exitCode = cli.main(process.argv.slice(2));
