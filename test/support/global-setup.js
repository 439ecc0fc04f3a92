// Starts one real Postgres cluster for the whole jest run; tests make their own databases in it.
// Set ISD_TEST_DATABASE_URL to use an existing server instead.
const { startPostgresCluster } = require('./postgres-cluster');

module.exports = async function globalSetup() {
  if (process.env.ISD_TEST_DATABASE_URL) return;
  const cluster = await startPostgresCluster();
  process.env.ISD_TEST_DATABASE_URL = cluster.url;
  globalThis.__isdPostgres = cluster;
};
