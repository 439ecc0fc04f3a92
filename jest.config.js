// Root jest: every workspace is a project, so `npx jest` runs the whole suite in one process pool.
const { workspaces } = require('./package.json');

module.exports = {
  projects: workspaces.filter((dir) => dir !== 'test/support').map((dir) => `<rootDir>/${dir}`),
  testTimeout: 60_000,
};
