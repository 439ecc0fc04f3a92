// The README configuration tables are generated from the zod schemas; this keeps them from drifting.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { repoRoot } from '@isd/test-support';

it('has every README configuration table in step with its zod schema (npm run docs:config)', () => {
  const tsx = path.join(repoRoot, 'node_modules', '.bin', 'tsx');
  const run = () =>
    execFileSync(tsx, ['--tsconfig', 'tsconfig.tests.json', 'scripts/config-docs.ts', '--check'], {
      cwd: repoRoot,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: 'pipe',
    });
  expect(run).not.toThrow();
});
