// Every test file is type-checked by `npm test`'s type-check step: it belongs to tsconfig.tests.json or
// to a project tsconfig.build.json builds. A test folder with a tsconfig of its own that nothing runs
// (as sidecars/visibility/test and sidecars/sapor/test had) fails here. And each project builds on its
// own: `npm start` builds only the services (`tsc -b <service>`), so a project whose files import a
// package it does not reference fails there on a fresh clone, whatever order the full build happens to use.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { repoRoot } from '@isd/test-support';

function readProject(configFile: string): ts.ParsedCommandLine {
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
  return parsed;
}

function projectFiles(configFile: string): string[] {
  return readProject(configFile).fileNames.map((file) => path.resolve(file));
}

function buildProjects(): string[] {
  const build = ts.readConfigFile(path.join(repoRoot, 'tsconfig.build.json'), ts.sys.readFile).config as {
    references: { path: string }[];
  };
  return build.references.map((reference) => path.join(repoRoot, reference.path));
}

it('type-checks every *.test.ts and *.test.tsx file', () => {
  const configs = [
    path.join(repoRoot, 'tsconfig.tests.json'),
    ...buildProjects().map((project) => path.join(project, 'tsconfig.json')),
  ];
  const checked = new Set(configs.flatMap(projectFiles));
  const tests = execFileSync('git', ['ls-files', '*.test.ts', '*.test.tsx'], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n')
    .filter(Boolean)
    .map((file) => path.join(repoRoot, file));
  expect(tests.length).toBeGreaterThan(100);
  expect(tests.filter((file) => !checked.has(file)).map((file) => path.relative(repoRoot, file))).toEqual([]);
});

it('builds each project from the projects it references: no file imports a workspace package it does not reference', () => {
  // @isd/<name> → the project folder its node_modules link points at.
  const workspaceDir = new Map(
    fs
      .readdirSync(path.join(repoRoot, 'node_modules', '@isd'))
      .map((name) => [`@isd/${name}`, fs.realpathSync(path.join(repoRoot, 'node_modules', '@isd', name))]),
  );
  const references = new Map(
    buildProjects().map((project) => [
      project,
      (readProject(path.join(project, 'tsconfig.json')).projectReferences ?? []).map((reference) =>
        path.resolve(reference.path.replace(/tsconfig\.json$/, '')),
      ),
    ]),
  );
  const reachable = (project: string, seen = new Set<string>()): Set<string> => {
    if (seen.has(project)) return seen;
    seen.add(project);
    for (const next of references.get(project) ?? []) reachable(next, seen);
    return seen;
  };
  const unreferenced: string[] = [];
  for (const project of references.keys()) {
    const allowed = reachable(project);
    for (const file of projectFiles(path.join(project, 'tsconfig.json'))) {
      const source = fs.readFileSync(file, 'utf8');
      for (const [, name] of source.matchAll(/(?:from|import\(|require\()\s*'(@isd\/[a-z-]+)/g)) {
        const dir = workspaceDir.get(name as string);
        if (dir && !allowed.has(dir)) unreferenced.push(`${path.relative(repoRoot, file)} imports ${name}`);
      }
    }
  }
  expect(references.size).toBeGreaterThan(10);
  expect([...new Set(unreferenced)]).toEqual([]);
});
