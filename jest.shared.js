// One jest setup for every workspace: swc transforms TypeScript (type checking is `tsc -b`), and
// `@isd/*` imports resolve to each workspace's source so tests never need a build first.
const path = require('node:path');

const root = __dirname;
const workspaceSources = {
  '@isd/kit': 'sidecars/kit/src',
  '@isd/rego': 'sidecars/rego/src',
  '@isd/visibility': 'sidecars/visibility/src',
  '@isd/autopilot': 'sidecars/autopilot/src',
  '@isd/sapor': 'sidecars/sapor/src',
  '@isd/orca-stages': 'orca-stages/src',
  '@isd/tunnel-proto': 'tunnel-proto/src',
  '@isd/controller': 'controller/src',
  '@isd/agent': 'agent/src',
  '@isd/test-support': 'test/support',
};

const moduleNameMapper = {};
for (const [name, dir] of Object.entries(workspaceSources)) {
  moduleNameMapper[`^${name}$`] = path.join(root, dir, 'index.ts');
  moduleNameMapper[`^${name}/(.*)$`] = path.join(root, dir, '$1');
}

function workspaceJestConfig(dir, overrides = {}) {
  return {
    rootDir: dir,
    testEnvironment: 'node',
    testMatch: ['**/*.test.ts', '**/*.test.tsx'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/', '/build/'],
    transform: {
      '^.+\\.(t|j)sx?$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', tsx: true },
            target: 'es2022',
            transform: { react: { runtime: 'classic' } },
          },
        },
      ],
    },
    transformIgnorePatterns: ['/node_modules/'],
    moduleNameMapper,
    globalSetup: path.join(root, 'test/support/global-setup.js'),
    globalTeardown: path.join(root, 'test/support/global-teardown.js'),
    ...overrides,
  };
}

module.exports = { workspaceJestConfig, workspaceSources };
