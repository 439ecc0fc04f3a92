// Stops the cluster that global-setup.js started (only that one; an external server is left alone).
module.exports = async function globalTeardown() {
  const cluster = globalThis.__isdPostgres;
  if (!cluster) return;
  globalThis.__isdPostgres = undefined;
  delete process.env.ISD_TEST_DATABASE_URL;
  cluster.stop();
};
