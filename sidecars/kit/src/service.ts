import path from 'node:path';
import { parseArgs } from 'node:util';
import type http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { Authenticator, FiatPermissionResolver, StaticPermissionResolver, type PermissionResolver } from './auth';
import { ConfigError, loadConfig } from './config';
import type { Database } from './database';
import { migrate, migrationsApplied, openDatabase, readMigrations } from './database';
import { enforceGateTls, gateTlsSchema, gateTlsServerOptions } from './gate-tls';
import { createHttpApp, type HttpApp } from './http-app';
import type { JobQueue } from './job-queue';
import { createJobQueue } from './job-queue';
import { createLogger, type Logger } from './logger';
import { createServiceMetrics, type ServiceMetrics } from './metrics';

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * The configuration every service shares; a service adds its own section with `extend`.
 * Every field says what it is for; the README's table is generated from these descriptions.
 */
export function baseConfigSchema(defaults: { name: string; port: number }) {
  return z.strictObject({
    server: z
      .strictObject({
        port: z.number().int().min(0).max(65535).default(defaults.port).describe('HTTP port'),
        host: z.string().min(1).default('0.0.0.0').describe('Address to listen on'),
        bodyLimitBytes: z
          .number()
          .int()
          .positive()
          .default(1024 * 1024)
          .describe('Largest JSON request body accepted (413 above)'),
        userInFlightLimit: z
          .number()
          .int()
          .positive()
          .default(16)
          .describe(
            'Requests one Spinnaker user may have in flight at once (on both listeners), checked before the body is read; beyond is 429 with Retry-After',
          ),
        serviceInFlightLimit: z
          .number()
          .int()
          .positive()
          .optional()
          .describe(
            "Requests Orca (the service token) may have in flight at once, beyond is 429; absent = no limit, as Orca's gates fail closed",
          ),
        shutdownTimeoutMs: z
          .number()
          .int()
          .positive()
          .default(10_000)
          .describe('How long shutdown waits for in-flight requests'),
        gatePort: z
          .number()
          .int()
          .min(0)
          .max(65535)
          .optional()
          .describe(
            "Port only Gate can reach (mutual TLS with gateTls, and the chart's NetworkPolicy); X-SPINNAKER-USER is trusted there without the Gate credential",
          ),
        gateTls: gateTlsSchema
          .optional()
          .describe("Mutual TLS on gatePort: only a client with Gate's certificate can connect"),
        publicUrl: z
          .string()
          .url()
          .optional()
          .describe('Base URL this service is reached at, used in links it returns'),
      })
      .prefault({}),
    database: z
      .strictObject({
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'expected a postgres:// URL')
          .optional()
          .describe('Postgres URL (also DATABASE_URL); absent = embedded PGlite'),
        embeddedDataDir: z
          .string()
          .min(1)
          .default(path.join('.isd', defaults.name))
          .describe('Data directory of the embedded PGlite database'),
        poolSize: z.number().int().min(1).max(200).default(10).describe('Database connections per replica'),
      })
      .prefault({}),
    auth: z.strictObject({
      serviceToken: z
        .string()
        .min(16, 'must be at least 16 characters')
        .describe('Token Orca sends (X-ISD-Service-Token or Authorization: Bearer)'),
      gateToken: z
        .string()
        .min(16, 'must be at least 16 characters')
        .optional()
        .describe(
          'Credential proving a request came through Gate (X-ISD-Gate-Token); needed unless server.gatePort is set',
        ),
      fiatUrl: z
        .string()
        .url()
        .optional()
        .describe(
          "Fiat's base URL: user roles and application permissions from GET /authorize/{user}; absent = the static `users` map",
        ),
      fiatCacheTtlMs: z.number().int().min(0).default(30_000).describe('How long Fiat permissions are cached'),
      users: z
        .record(
          z.string(),
          z.union([
            z.array(z.string()),
            z.strictObject({
              roles: z.array(z.string()).default([]),
              admin: z.boolean().default(false),
              applications: z.record(z.string(), z.array(z.enum(['READ', 'WRITE', 'EXECUTE']))).default({}),
            }),
          ]),
        )
        .default({})
        .describe(
          'Static users when fiatUrl is absent: user → roles list, or {roles, admin, applications: {app or "*": [READ, WRITE, EXECUTE]}}',
        ),
    }),
    log: z
      .strictObject({
        level: z.enum(logLevels).default('info').describe('Log level'),
        pretty: z.boolean().optional().describe('Human-readable logs; default: when stdout is a terminal'),
      })
      .prefault({}),
    jobs: z
      .strictObject({
        pollingIntervalSeconds: z
          .number()
          .min(0.5)
          .max(60)
          .default(1)
          .describe(
            'Longest wait of an idle job worker before it looks for new jobs (it also wakes when the next queued job falls due)',
          ),
        concurrency: z
          .number()
          .int()
          .min(1)
          .max(500)
          .default(16)
          .describe(
            'Jobs of one kind a replica runs at once (e.g. verification windows being judged); keep it near database.poolSize',
          ),
        maintenanceIntervalSeconds: z
          .number()
          .int()
          .min(1)
          .default(30)
          .describe('How often lost jobs are found and retried'),
      })
      .prefault({}),
  });
}

/** The part of a service's config the kit reads. */
export type BaseConfig = z.infer<ReturnType<typeof baseConfigSchema>>;

/** What a service's `setup` receives to register routes and jobs. */
export interface ServiceDependencies<Config extends BaseConfig> {
  config: Config;
  logger: Logger;
  database: Database;
  jobs: JobQueue;
  http: HttpApp;
  metrics: ServiceMetrics;
  permissions: PermissionResolver;
}

/** A service: its name, config schema, migrations and wiring. */
export interface ServiceDefinition<Config extends BaseConfig> {
  /** Also the database schema and the config env prefix (`VISIBILITY_...`). */
  name: string;
  version: string;
  description: string;
  configSchema: z.ZodType<Config>;
  /** Folder of `NNN_name.sql` files. */
  migrationsDir: string;
  /** Registers routes and job handlers; may return a stop function for its own resources. */
  setup(deps: ServiceDependencies<Config>): Promise<{ stop?: () => Promise<void> } | void>;
}

/** A started service. */
export interface RunningService<Config extends BaseConfig> {
  config: Config;
  port: number;
  url: string;
  /** The Gate-only listener's URL, when `server.gatePort` is set. */
  gateUrl: string | undefined;
  database: Database;
  jobs: JobQueue;
  logger: Logger;
  server: http.Server;
  /** Drains requests, stops the job queue, then closes the database. */
  stop(): Promise<void>;
}

/** Starts a service from an already-loaded config: database, migrations, job queue, HTTP. */
export async function startService<Config extends BaseConfig>(
  definition: ServiceDefinition<Config>,
  config: Config,
  options: { logger?: Logger } = {},
): Promise<RunningService<Config>> {
  const logger =
    options.logger ?? createLogger({ name: definition.name, level: config.log.level, pretty: config.log.pretty });
  if (config.auth.gateToken === undefined && config.server.gatePort === undefined) {
    throw new ConfigError('config: auth.gateToken is required unless server.gatePort is set');
  }
  if (config.server.gateTls && config.server.gatePort === undefined) {
    throw new ConfigError('config: server.gateTls needs server.gatePort (the listener it protects)');
  }
  // Read before anything starts, so an unreadable file is a start-up error naming the key.
  const gateTlsOptions = config.server.gateTls && gateTlsServerOptions(config.server.gateTls);
  const schema = definition.name.replace(/-/g, '_');
  const migrations = readMigrations(definition.migrationsDir);
  const database = await openDatabase({
    url: config.database.url,
    embeddedDataDir: config.database.embeddedDataDir,
    schema,
    poolSize: config.database.poolSize,
    logger,
  });
  const cleanups: (() => Promise<void>)[] = [() => database.close()];
  try {
    const applied = await migrate(database, migrations);
    if (applied.length) logger.info({ applied }, 'migrations applied');
    const jobs = await createJobQueue({
      database,
      logger,
      pollingIntervalSeconds: config.jobs.pollingIntervalSeconds,
      concurrency: config.jobs.concurrency,
      maintenanceIntervalSeconds: config.jobs.maintenanceIntervalSeconds,
    });
    cleanups.unshift(() => jobs.stop());
    const metrics = createServiceMetrics(definition.name);
    const permissions: PermissionResolver = config.auth.fiatUrl
      ? new FiatPermissionResolver(config.auth.fiatUrl, config.auth.fiatCacheTtlMs)
      : new StaticPermissionResolver(new Map(Object.entries(config.auth.users)));
    const authenticator = new Authenticator({
      serviceToken: config.auth.serviceToken,
      gateToken: config.auth.gateToken,
      permissions,
    });
    const http = createHttpApp({
      info: { title: `ISD ${definition.name}`, version: definition.version, description: definition.description },
      logger,
      metrics,
      authenticator,
      bodyLimitBytes: config.server.bodyLimitBytes,
      callerLimits: {
        userInFlight: config.server.userInFlightLimit,
        serviceInFlight: config.server.serviceInFlightLimit,
      },
      readiness: async () => {
        const databaseUp = await database.ping();
        const migrated = databaseUp && (await migrationsApplied(database, schema, migrations));
        return { ready: databaseUp && migrated, checks: { database: databaseUp, migrations: migrated } };
      },
    });
    const own = await definition.setup({ config, logger, database, jobs, http, metrics, permissions });
    if (own?.stop) cleanups.unshift(own.stop);
    const server = await http.listen(config.server.port, config.server.host);
    const port = (server.address() as AddressInfo).port;
    let gateServer: http.Server | https.Server | undefined;
    if (config.server.gatePort !== undefined && gateTlsOptions && config.server.gateTls) {
      const secure = await http.listen(config.server.gatePort, config.server.host, {
        gateListener: true,
        tls: gateTlsOptions,
      });
      const stopEnforcing = enforceGateTls(secure, config.server.gateTls, logger);
      cleanups.unshift(async () => stopEnforcing());
      gateServer = secure;
    } else if (config.server.gatePort !== undefined) {
      gateServer = await http.listen(config.server.gatePort, config.server.host, { gateListener: true });
    }
    const gatePort = gateServer ? (gateServer.address() as AddressInfo).port : undefined;
    let stopping: Promise<void> | undefined;
    return {
      config,
      port,
      url: `http://127.0.0.1:${port}`,
      gateUrl: gatePort === undefined ? undefined : `${gateTlsOptions ? 'https' : 'http'}://127.0.0.1:${gatePort}`,
      database,
      jobs,
      logger,
      server,
      stop() {
        stopping ??= (async () => {
          await Promise.all(
            [server, gateServer].map((listener) => listener && closeServer(listener, config.server.shutdownTimeoutMs)),
          );
          for (const cleanup of cleanups)
            await cleanup().catch((error) => logger.warn({ err: error }, 'cleanup failed'));
          logger.info('stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    for (const cleanup of cleanups) await cleanup().catch(() => undefined);
    throw error;
  }
}

/** Stops accepting connections, lets in-flight requests finish, then cuts what is left. */
async function closeServer(server: http.Server | https.Server, timeoutMs: number): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  const timer = setTimeout(() => server.closeAllConnections(), timeoutMs);
  await closed;
  clearTimeout(timer);
}

/** Env prefix of a service's config overrides: `visibility` → `VISIBILITY_`. */
export function envPrefixFor(name: string): string {
  return `${name.replace(/-/g, '_').toUpperCase()}_`;
}

/**
 * Loads a service's config from `--config FILE` (or `<PREFIX>CONFIG_FILE`) and the environment.
 * `DATABASE_URL` is honoured as the conventional name for `database.url`.
 */
export function loadServiceConfig<Config extends BaseConfig>(
  definition: Pick<ServiceDefinition<Config>, 'name' | 'configSchema'>,
  env: Record<string, string | undefined>,
  argv: string[],
): Config {
  const prefix = envPrefixFor(definition.name);
  let flags: { config?: string };
  try {
    ({ values: flags } = parseArgs({ args: argv, options: { config: { type: 'string' } }, strict: true }));
  } catch (error) {
    // "Unknown option '--port'", "Option '--config <value>' argument missing", …
    throw new ConfigError(`command line: ${(error as Error).message} (usage: main.js [--config FILE])`);
  }
  const file = flags.config ?? env[`${prefix}CONFIG_FILE`];
  const overrides = { ...env };
  delete overrides[`${prefix}CONFIG_FILE`];
  if (env.DATABASE_URL && !env[`${prefix}DATABASE__URL`]) overrides[`${prefix}DATABASE__URL`] = env.DATABASE_URL;
  return loadConfig(definition.configSchema, { file, env: overrides, envPrefix: prefix });
}

/**
 * The whole `main` of a service: load config (a bad one exits 1 with a one-line message naming the
 * key), start, and stop cleanly on SIGINT/SIGTERM.
 */
export async function runServiceMain<Config extends BaseConfig>(definition: ServiceDefinition<Config>): Promise<void> {
  let config: Config;
  try {
    config = loadServiceConfig(definition, process.env, process.argv.slice(2));
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${definition.name}: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  let running: RunningService<Config>;
  try {
    running = await startService(definition, config);
  } catch (error) {
    process.stderr.write(`${definition.name}: failed to start: ${(error as Error).message}\n`);
    process.exit(1);
  }
  const shutdown = (signal: string) => {
    running.logger.info({ signal }, 'shutting down');
    running.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', shutdown);
  process.once('SIGTERM', shutdown);
}
