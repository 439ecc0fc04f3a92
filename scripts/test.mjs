#!/usr/bin/env node
// `npm test`: type-checks every workspace, then runs all jest projects (unit tests beside the code
// and the cross-component tests in test/). Extra arguments go to jest.
import { spawnSync } from 'node:child_process';

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
// Most suites wait on servers and processes rather than compute, so two workers fit two cores.
const jest = step('tests (jest)', 'npx', ['jest', '--ci', '--maxWorkers=2', ...jestArgs]);
if (typecheck !== 0) process.stdout.write('\ntype-check failed\n');
process.exit(typecheck || jest);
