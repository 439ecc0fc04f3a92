#!/usr/bin/env node
// `npm test`: type-checks every workspace and the unit tests, then runs all jest projects (unit tests
// beside the code and the cross-component tests in test/). Extra arguments go to jest. The last line
// is `N passed, N failed` (a failed type-check counts as one failure), which CI reads.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

function step(title, command, args) {
  process.stdout.write(`\n== ${title}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  return result.status ?? 1;
}

const jestArgs = process.argv.slice(2);
const typecheck =
  step('type-check (tsc -b)', 'npx', ['tsc', '-b', 'tsconfig.build.json']) ||
  step('type-check tests (tsconfig.tests.json)', 'npx', ['tsc', '-p', 'tsconfig.tests.json']);

// PGlite loads parts of itself with import(), which jest's VM supports only with this flag.
process.env.NODE_OPTIONS =
  `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim();
const resultsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'isd-jest-')), 'results.json');
// Most suites wait on servers and processes rather than compute, so two workers fit two cores.
const jest = step('tests (jest)', 'npx', [
  'jest',
  '--ci',
  '--maxWorkers=2',
  '--json',
  `--outputFile=${resultsFile}`,
  ...jestArgs,
]);

let passed = 0;
let failed = typecheck === 0 ? 0 : 1;
if (fs.existsSync(resultsFile)) {
  const results = JSON.parse(fs.readFileSync(resultsFile, 'utf8'));
  passed = results.numPassedTests;
  // A suite that crashed before running its tests counts as one failure, so a broken file never passes.
  const crashed = results.testResults.filter(
    (suite) => suite.status === 'failed' && suite.assertionResults.every((test) => test.status !== 'failed'),
  ).length;
  failed += results.numFailedTests + crashed;
} else {
  failed += 1;
}
if (typecheck !== 0) process.stdout.write('\ntype-check failed\n');
process.stdout.write(`\n${passed} passed, ${failed} failed\n`);
process.exit(typecheck || jest || (failed ? 1 : 0));
