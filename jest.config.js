// Root jest: every workspace is a project, so `npx jest` runs the whole suite in one process pool.
const { workspaces } = require('./package.json');

module.exports = {
  projects: workspaces.map((dir) => `<rootDir>/${dir}`),
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
};
