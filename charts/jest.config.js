// Jest for this workspace; the transform and path mapping are shared from the root. The chart tests need
// no database, so the Postgres global setup is skipped to keep them fast.
const { workspaceJestConfig } = require('../jest.shared.js');

module.exports = workspaceJestConfig(__dirname, {
  displayName: '@isd/charts',
  globalSetup: undefined,
  globalTeardown: undefined,
});
