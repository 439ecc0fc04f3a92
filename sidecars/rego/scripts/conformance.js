#!/usr/bin/env node
// Runs OPA's conformance cases: `npm run conformance -- [dir]` (default: the pinned OPA Go module's
// v1/test/cases/testdata/v1, downloaded by scripts/install-test-tools.sh).
// Run with tsx (the root script does), which loads the TypeScript sources with no build step.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const srcDir = path.resolve(__dirname, '..', 'src');

const args = process.argv.slice(2);
const verbose = args.includes('--verbose');
const dirArg = args.find((a) => !a.startsWith('--'));
let dir;
try {
  dir = dirArg ? path.resolve(process.cwd(), dirArg) : require(path.join(srcDir, 'opa-module.ts')).opaConformanceDir();
} catch (err) {
  console.error(`conformance: ${err.message}`);
  process.exit(2);
}
if (!fs.existsSync(dir)) {
  console.error(`conformance: directory not found: ${dir}`);
  process.exit(2);
}

const { runConformance } = require(path.join(srcDir, 'conformance.ts'));
const started = Date.now();
const summary = runConformance(dir, {
  onFile: (file, done, total) => {
    if (process.stderr.isTTY) process.stderr.write(`\r${done}/${total} files`);
    else if (done % 100 === 0 || done === total) process.stderr.write(`${done}/${total} files\n`);
  },
});
if (process.stderr.isTTY) process.stderr.write('\n');
for (const [category, c] of Object.entries(summary.categories).sort()) {
  const mark = c.failed === 0 ? 'ok  ' : 'FAIL';
  console.log(
    `${mark} ${category}: ${c.passed} passed, ${c.failed} failed${c.skipped ? `, ${c.skipped} skipped` : ''}`,
  );
  if (verbose)
    for (const o of summary.outcomes)
      if (o.category === category && o.status === 'failed') console.log(`       - ${o.note}: ${o.reason}`);
}
console.log(`took ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(
  JSON.stringify({
    passed: summary.passed,
    failed: summary.failed,
    skipped: summary.skipped,
    passRate: summary.passRate,
  }),
);
