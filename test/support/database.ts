import { randomUUID } from 'node:crypto';
import pg from 'pg';

/** URL of the throwaway Postgres cluster jest's global setup started. */
export function testClusterUrl(): string {
  const url = process.env.ISD_TEST_DATABASE_URL;
  if (!url)
    throw new Error('ISD_TEST_DATABASE_URL is not set: run tests through jest (its global setup starts Postgres)');
  return url;
}

/** Creates an empty database in the test cluster and returns its URL; each test file gets its own. */
export async function createTestDatabase(prefix = 'test'): Promise<string> {
  const clusterUrl = testClusterUrl();
  const name = `${prefix}_${randomUUID().replace(/-/g, '').slice(0, 12)}`.toLowerCase();
  const client = new pg.Client({ connectionString: clusterUrl });
  await client.connect();
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const url = new URL(clusterUrl);
  url.pathname = `/${name}`;
  return url.toString();
}
