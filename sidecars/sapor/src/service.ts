import path from 'node:path';
import { Retention, UserWriteBudget, type ServiceDefinition } from '@isd/kit';
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
import { saporSweeps } from './retention';
import { PostgresPolicyStore } from './store/policy-store';

const INSIGHTS_SYNC_JOB = 'insights-sync';

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

    // Daily retention: the decision log, gate inputs, audit records, gates, superseded versions and history.
    await new Retention({
      database,
      jobs,
      logger,
      registry: metrics.registry,
      sweeps: saporSweeps(config),
      batchSize: config.retention.batchSize,
    }).schedule();

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
