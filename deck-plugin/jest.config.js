// Jest for the Deck plugin: jsdom with the real @spinnaker/core. Core ships one minified ES module
// (`module` only, no `main`), so a resolver maps `module` to `main` and run through swc like our own sources.
const path = require('node:path');
const { workspaceJestConfig } = require('../jest.shared.js');

const shared = workspaceJestConfig(__dirname);

module.exports = {
  ...shared,
  displayName: '@isd/deck-plugin',
  testEnvironment: path.join(__dirname, 'test/jsdom-environment.js'),
  // jsdom would resolve packages' "browser" builds (yaml's is ESM-only); the editors run on Node here.
  testEnvironmentOptions: { customExportConditions: ['node', 'node-addons'] },
  setupFiles: [path.join(__dirname, 'test/setup-globals.js')],
  resolver: path.join(__dirname, 'test/resolver.js'),
  // ES-module-only packages under node_modules must be compiled to CommonJS for jest.
  transformIgnorePatterns: ['/node_modules/(?!(@spinnaker/core|@spinnaker/presentation)/)'],
  moduleNameMapper: {
    ...shared.moduleNameMapper,
    '^root/version\\.json$': path.join(__dirname, 'test/stubs/version.json'),
    '\\.(css|less|scss)$': 'identity-obj-proxy',
  },
};
