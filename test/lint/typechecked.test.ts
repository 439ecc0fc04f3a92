// Every test file is type-checked by `npm test`'s type-check step: it belongs to tsconfig.tests.json or
// to a project tsconfig.build.json builds. A test folder with a tsconfig of its own that nothing runs
// (as sidecars/visibility/test and sidecars/sapor/test had) fails here.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from '@isd/test-support';

function projectFiles(configFile: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configFile,
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${configFile}`);
  return parsed.fileNames.map((file) => path.resolve(file));
}

it('type-checks every *.test.ts and *.test.tsx file', () => {
  const build = ts.readConfigFile(path.join(repoRoot, 'tsconfig.build.json'), ts.sys.readFile).config as {
    references: { path: string }[];
  };
  const configs = [
    path.join(repoRoot, 'tsconfig.tests.json'),
    ...build.references.map((reference) => path.join(repoRoot, reference.path, 'tsconfig.json')),
  ];
  const checked = new Set(configs.flatMap(projectFiles));
  const tests = execFileSync('git', ['ls-files', '*.test.ts', '*.test.tsx'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((file) => path.join(repoRoot, file));
  expect(tests.length).toBeGreaterThan(100);
  expect(tests.filter((file) => !checked.has(file)).map((file) => path.relative(repoRoot, file))).toEqual([]);
});
