export {
  Authenticator,
  FiatPermissionResolver,
  StaticPermissionResolver,
  GATE_TOKEN_HEADER,
  SERVICE_TOKEN_HEADER,
  SPINNAKER_USER_HEADER,
  applicationScope,
  canAccessApplication,
  inApplicationScope,
  isAdmin,
  noPermissions,
  permissionsFromFiatView,
  permissionsFromStatic,
  requireApplicationRead,
  requireApplicationWrite,
} from './auth';
export type {
  ApplicationAccess,
  ApplicationPermission,
  ApplicationScope,
  Caller,
  PermissionResolver,
  RequestOrigin,
  RouteAuth,
  StaticUserEntry,
  UserPermissions,
} from './auth';
export { ConfigError, envNameForPath, loadConfig } from './config';
export type { ConfigSources } from './config';
export {
  Database,
  ensureSchema,
  migrate,
  migrationsApplied,
  openDatabase,
  readMigrations,
  redactUrl,
} from './database';
export type { DatabaseOptions, Migration, Queryable } from './database';
export { startEmbeddedPostgres } from './embedded-postgres';
export type { EmbeddedPostgres } from './embedded-postgres';
export {
  AuthenticationError,
  ConflictError,
  InputError,
  IsdError,
  NotAllowedError,
  NotFoundError,
  UnavailableError,
  isIsdError,
  statusForCategory,
} from './errors';
export type { ErrorCategory, FieldIssue } from './errors';
export { HttpApp, createHttpApp, requestIdOf } from './http-app';
export { CallerLimitError } from './caller-admission';
export { UserWriteBudget, WriteBudgetError, userWritesConfigSchema } from './user-write-budget';
export type { UserWriteBudgetOptions } from './user-write-budget';
export type { CallerLimits } from './caller-admission';
export { closeSilentConnections } from './silent-connections';
export { parseJson, parsePeerJson, storable, withoutNulEscapes } from './well-formed-json';
export type { HttpMethod, Readiness, Reply, RouteContext, RouteHandler, RouteSpec } from './http-app';
export { JobQueue, createJobQueue } from './job-queue';
export {
  Retention,
  deleteExpiredBatch,
  expiredRecordsSweep,
  retentionBatchSizeSchema,
  retentionDaysSchema,
} from './retention';
export type { ExpiredRecords, RetentionBatch, RetentionOptions, RetentionSweep } from './retention';
export type { Job, JobKindOptions, SendOptions } from './job-queue';
export { createLogger } from './logger';
export { applicationPageQuery, encodePageCursor, nextPageCursor, pageCursorParam } from './page-cursor';
export type { ApplicationPage, PageCursor } from './page-cursor';
export type { Logger, LoggerOptions } from './logger';
export { createServiceMetrics } from './metrics';
export type { HttpRequestMetrics, ServiceMetrics } from './metrics';
export { buildOpenApiDocument } from './openapi';
export type { OpenApiInfo } from './openapi';
export { baseConfigSchema, envPrefixFor, loadServiceConfig, runServiceMain, startService } from './service';
export type { BaseConfig, RunningService, ServiceDefinition, ServiceDependencies } from './service';
export { findUnresolvedExpression } from './spel';
export type { UnresolvedExpression } from './spel';
export { configTableMarkdown, describeConfig } from './config-docs';
export type { ConfigKey } from './config-docs';
export {
  OutboundError,
  assertWithinBase,
  canonicalHost,
  describeUrl,
  jsonOf,
  outboundRequest,
  parseBase,
  resolveWithinBase,
} from './outbound';
export type { OutboundErrorCode, OutboundRequest, OutboundResponse, OutboundTls } from './outbound';
