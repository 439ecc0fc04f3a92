import type { BaseConfig, RunningService, ServiceDefinition, StaticUserEntry } from '@isd/kit';
import { createLogger, startService } from '@isd/kit';
import { eventually } from './processes';

/** The Orca service token every test service is configured with. */
export const TEST_SERVICE_TOKEN = 'test-service-token-0123456789';
/** The Gate credential every test service is configured with. */
export const TEST_GATE_TOKEN = 'test-gate-token-0123456789abc';

/** Headers Orca sends. */
export function serviceHeaders(): Record<string, string> {
  return { 'content-type': 'application/json', 'x-isd-service-token': TEST_SERVICE_TOKEN };
}

/** Headers Gate's proxy sends for a logged-in user. */
export function gateHeaders(user: string): Record<string, string> {
  return { 'content-type': 'application/json', 'x-isd-gate-token': TEST_GATE_TOKEN, 'x-spinnaker-user': user };
}

/**
 * A config for tests: ephemeral port, the given database, test tokens, fast job polling; `extra`
 * holds the service's own sections (merged over these). A user given as a role list may READ, WRITE
 * and EXECUTE every application (tests about roles); give `{roles, admin, applications}` to test
 * per-application authorization.
 */
export function testServiceConfig<Config extends BaseConfig>(
  definition: Pick<ServiceDefinition<Config>, 'configSchema'>,
  options: {
    databaseUrl?: string;
    embeddedDataDir?: string;
    users?: Record<string, StaticUserEntry>;
    extra?: Record<string, unknown>;
  },
): Config {
  return definition.configSchema.parse({
    server: { port: 0, host: '127.0.0.1', shutdownTimeoutMs: 2_000 },
    database: {
      url: options.databaseUrl,
      ...(options.embeddedDataDir ? { embeddedDataDir: options.embeddedDataDir } : {}),
      poolSize: 10,
    },
    auth: { serviceToken: TEST_SERVICE_TOKEN, gateToken: TEST_GATE_TOKEN, users: testUsers(options.users ?? {}) },
    jobs: { pollingIntervalSeconds: 0.5, maintenanceIntervalSeconds: 1 },
    log: { level: 'silent' },
    ...options.extra,
  });
}

/** Starts a service for a test on an ephemeral port; logs are silent unless ISD_TEST_LOG_LEVEL is set. */
export async function startTestService<Config extends BaseConfig>(
  definition: ServiceDefinition<Config>,
  config: Config,
): Promise<RunningService<Config>> {
  const level = process.env.ISD_TEST_LOG_LEVEL ?? 'silent';
  return startService(definition, config, { logger: createLogger({ name: definition.name, level, pretty: false }) });
}

/** Role-list users get every application; explicit entries are kept as they are. */
function testUsers(users: Record<string, StaticUserEntry>): Record<string, StaticUserEntry> {
  return Object.fromEntries(
    Object.entries(users).map(([user, entry]) => [
      user,
      Array.isArray(entry) ? { roles: entry, applications: { '*': ['READ', 'WRITE', 'EXECUTE'] } } : entry,
    ]),
  );
}

/**
 * Waits until the retention run a service queues at start-up has finished: a test that backdates rows and
 * runs retention itself must not race it (and this shows the service schedules it).
 */
export async function startupRetentionDone(service: Pick<RunningService<BaseConfig>, 'database'>): Promise<void> {
  await eventually(
    async () => {
      const { rows } = await service.database.query(
        `SELECT 1 FROM "${service.database.schema}_jobs".job WHERE name = 'retention' AND state = 'completed'`,
      );
      return rows.length ? true : undefined;
    },
    20_000,
    'the start-up retention run',
  );
}
