import path from 'node:path';
import { UserWriteBudget, type ServiceDefinition } from '@isd/kit';
import { createAccountService } from './accounts/setup';
import { registerAccountRoutes } from './accounts/routes';
import { registerRoutes } from './api/routes';
import { AuditStore } from './audit/audit-store';
import { registerAuditRoutes } from './audit/routes';
import { registerInsightsMetrics } from './insights/metrics';
import { registerInsightsRoutes } from './insights/routes';
import { InsightsSync } from './insights/sync';
import { saporConfigSchema, type SaporConfig } from './config';
import { BuiltinEvaluator, OpaEvaluator, type PolicyEvaluator } from './engine/evaluator';
import { EvaluationPool } from './engine/pool';
import { PolicyRegistry } from './engine/registry';
import { GateClient, type GateAuth } from './gate-client';
import { loadPolicyFolder, type LoadReport } from './loaders/directory';
import { syncGitRepository } from './loaders/git';
import { PolicyService } from './policy-service';
import { DefinitionRepository } from './pac/repository';
import { registerPipelinesAsCodeRoutes, registerPromotionRoute } from './pac/routes';
import { PipelinesAsCode } from './pac/sync';
import { PostgresPolicyStore } from './store/policy-store';

const PRUNE_JOB = 'decision-log-prune';
const AUDIT_RETENTION_JOB = 'audit-retention';
const INSIGHTS_SYNC_JOB = 'insights-sync';
const DAY_MS = 24 * 60 * 60 * 1000;

/** The sapor service: policy gate (Rego policies, OPA-compatible API, save-time checks, runtime gates). */
export const saporService: ServiceDefinition<SaporConfig> = {
  name: 'sapor',
  version: '0.1.0',
  description:
    'Policy gate: evaluates pipelines and executions against versioned Rego policies; OPA-compatible Data API',
  configSchema: saporConfigSchema,
  migrationsDir: path.join(__dirname, '..', 'migrations'),
  async setup({ config, http, database, jobs, logger, metrics }) {
    const store = new PostgresPolicyStore(database, logger);
    // Policies run in worker threads, so a runaway one never blocks requests (healthz, status polls).
    const pool = new EvaluationPool(config.policy.workers, logger);
    const registry = new PolicyRegistry(
      store,
      {
        maxSteps: config.policy.maxSteps,
        timeoutMs: config.policy.timeoutMs,
        maxMemoryBytes: config.policy.maxMemoryBytes,
        deadlineMs: config.policy.workers.deadlineMs,
        httpAllowedHosts: config.policy.httpAllowedHosts,
      },
      pool,
    );
    let evaluator: PolicyEvaluator;
    if (config.policy.engine === 'opa') {
      if (!config.policy.opa) throw new Error('policy.engine is opa but policy.opa.url is not set');
      evaluator = new OpaEvaluator(config.policy.opa);
    } else evaluator = new BuiltinEvaluator(registry);
    const gate = config.gate.url
      ? new GateClient({ ...config.gate, url: config.gate.url, auth: gateAuth(config) })
      : undefined;
    const audit = new AuditStore(database);
    const service = new PolicyService({
      audit,
      store,
      registry,
      evaluator,
      gate,
      defaultRegoVersion: config.policy.defaultRegoVersion,
      staticPackages: config.policy.staticPackages,
      limits: { maxPolicies: config.policy.maxPolicies, maxBundleBytes: config.policy.maxBundleBytes },
      logger,
    });

    const { directory, git } = config.policy;
    let reloading: Promise<Record<string, LoadReport>> | undefined;
    const loadSources = async (): Promise<Record<string, LoadReport>> => {
      const reports: Record<string, LoadReport> = {};
      if (directory)
        reports.directory = await loadPolicyFolder(service, store, path.resolve(directory), 'directory', (files) =>
          files.join(', '),
        );
      if (git) {
        const commit = await syncGitRepository(git);
        const root = path.join(path.resolve(git.checkoutDir), git.subdirectory);
        reports.git = await loadPolicyFolder(service, store, root, 'git', (files) => `${commit}:${files.join(', ')}`);
      }
      for (const [source, report] of Object.entries(reports)) {
        logger.info(
          {
            source,
            saved: report.saved.length,
            unchanged: report.unchanged.length,
            removed: report.removed.length,
            failed: report.failed,
          },
          'policies loaded',
        );
      }
      return reports;
    };
    // One load at a time: a poll and a manual reload share the running one.
    const reload =
      directory || git
        ? () => {
            reloading ??= loadSources().finally(() => {
              reloading = undefined;
            });
            return reloading;
          }
        : undefined;

    if (reload)
      await reload().catch((error: unknown) =>
        logger.error({ err: error }, 'loading policies failed; continuing with the stored ones'),
      );
    let timer: NodeJS.Timeout | undefined;
    if (reload && git && git.pollIntervalMs > 0) {
      timer = setInterval(() => {
        reload().catch((error: unknown) => logger.warn({ err: error }, 'pulling policies failed'));
      }, git.pollIntervalMs);
      timer.unref();
    }

    // Daily pruning of the decision log; the job key is the day, so replicas schedule it once.
    const dayKey = (at: Date) => at.toISOString().slice(0, 10);
    await jobs.define<{ day: string }>(
      PRUNE_JOB,
      async () => {
        const cutoff = new Date(Date.now() - config.policy.decisionLogRetentionDays * DAY_MS);
        const deleted = await store.pruneDecisions(cutoff);
        // A gate's input (up to 256 KiB, one per policy stage run) goes with its decision row; the gate stays.
        const inputsDropped = await store.dropGateInputs(cutoff);
        logger.info({ deleted, inputsDropped, cutoff }, 'decision log pruned');
        const next = new Date(Date.now() + DAY_MS);
        await jobs.send(PRUNE_JOB, { day: dayKey(next) }, { startAfter: next, key: dayKey(next) });
      },
      { retryLimit: 3 },
    );
    await jobs.send(PRUNE_JOB, { day: dayKey(new Date()) }, { key: dayKey(new Date()) });

    // Daily audit retention, the only way an audit record is ever removed.
    await jobs.define<{ day: string }>(
      AUDIT_RETENTION_JOB,
      async () => {
        const cutoff = new Date(Date.now() - config.audit.retentionDays * DAY_MS);
        const deleted = await audit.prune(cutoff);
        logger.info({ deleted, cutoff }, 'audit records past retention deleted');
        const next = new Date(Date.now() + DAY_MS);
        await jobs.send(AUDIT_RETENTION_JOB, { day: dayKey(next) }, { startAfter: next, key: dayKey(next) });
      },
      { retryLimit: 3 },
    );
    await jobs.send(AUDIT_RETENTION_JOB, { day: dayKey(new Date()) }, { key: dayKey(new Date()) });

    // Insights: a timer job per interval slot (its key), so replicas sync once per slot; the next slot is
    // scheduled before the work, so a failed sync (retried by the queue) never stops the timer.
    const insights = new InsightsSync(database, gate, config.insights, logger);
    const interval = config.insights.syncIntervalMs;
    if (gate && interval > 0) {
      const slotOf = (at: number) => String(Math.floor(at / interval));
      await jobs.define<{ slot: string }>(
        INSIGHTS_SYNC_JOB,
        async () => {
          const next = (Math.floor(Date.now() / interval) + 1) * interval;
          await jobs.send(INSIGHTS_SYNC_JOB, { slot: slotOf(next) }, { startAfter: new Date(next), key: slotOf(next) });
          await insights.sync();
        },
        {
          retryLimit: 5,
          retryDelaySeconds: Math.min(30, Math.max(1, Math.round(interval / 4000))),
          retryBackoff: true,
        },
      );
      await jobs.send(INSIGHTS_SYNC_JOB, { slot: slotOf(Date.now()) }, { key: slotOf(Date.now()) });
    }
    registerInsightsMetrics(metrics.registry, insights, config.insights.metricsWindowDays);

    // One budget for every row a user's request stores; Orca is never counted.
    const writes = new UserWriteBudget({
      perMinute: config.userWrites.perMinute,
      configKey: 'userWrites.perMinute',
      writes: 'stored rows',
    });
    registerRoutes({ http, service, store, adminRoles: config.policy.adminRoles, writes, reload });
    registerInsightsRoutes(http, insights, database, writes);
    registerAuditRoutes(http, audit);

    // Pipelines as code and promotion (docs/pipelines-as-code.md).
    registerPromotionRoute(http, { gate, policy: service, audit, writes });
    const pacConfig = config.pipelinesAsCode;
    const pipelinesAsCode = pacConfig
      ? new PipelinesAsCode({
          database,
          gate,
          policy: service,
          audit,
          repository: new DefinitionRepository(pacConfig.git, pacConfig.limits),
          config: pacConfig,
          logger: logger.child({ module: 'pipelines-as-code' }),
        })
      : undefined;
    if (pacConfig && pipelinesAsCode) {
      registerPipelinesAsCodeRoutes(http, pipelinesAsCode, {
        webhookSecret: pacConfig.webhookSecret,
        ref: pacConfig.git.ref,
        adminRoles: config.policy.adminRoles,
        writes,
        rowsPerCheck: service.rowsPerPipelineCheck,
      });
      pipelinesAsCode.start();
    }

    // Accounts without restarts (Kubernetes; Clouddriver's account API through Gate, or a git repository).
    registerAccountRoutes(
      http,
      createAccountService(config, { database, gate, audit, logger }),
      config.accounts.adminRoles,
      writes,
    );
    return {
      async stop() {
        await pipelinesAsCode?.stop();
        if (timer) clearInterval(timer);
        await reloading?.catch(() => undefined);
        await store.flushDecisions().catch(() => undefined);
        await pool.close();
      },
    };
  },
};

/** x509 first, basic auth (an internal Gate) second; never a forged X-SPINNAKER-USER. */
function gateAuth(config: SaporConfig): GateAuth {
  const { x509, username, password } = config.gate;
  if (x509) return { kind: 'x509', ...x509 };
  if (username && password) return { kind: 'basic', username, password };
  return { kind: 'none' };
}
