// Jest for this workspace; the transform and path mapping are shared from the root.
const { workspaceJestConfig } = require('../jest.shared.js');

module.exports = workspaceJestConfig(__dirname, { displayName: '@isd/tunnel-proto' });
