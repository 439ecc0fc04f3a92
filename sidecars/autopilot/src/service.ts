import path from 'node:path';
import { Retention, type ServiceDefinition } from '@isd/kit';
import { createAutopilotMetrics } from './analysis/metrics';
import { VerificationRunner } from './analysis/runner';
import { registerRoutes } from './api/routes';
import { registerTestVerificationRoutes, testResultLimits } from './api/test-verification-routes';
import { autopilotConfigSchema, type AutopilotConfig } from './config';
import type { LogTemplate } from './logs';
import { LogProviderRegistry } from './logs/providers/registry';
import { readLogTemplateFiles } from './logs/yaml-files';
import { ProviderRegistry } from './providers/registry';
import { autopilotSweeps } from './retention';
import { LogMarkStore } from './store/log-mark-store';
import { TemplateStore } from './store/template-store';
import { TestVerificationStore } from './store/test-verification-store';
import { VerificationStore } from './store/verification-store';
import { TestVerificationRunner } from './test-verification/runner';
import { readTemplateFiles } from './templates/yaml-files';

/** The autopilot service: verification gate: compares a canary against a baseline from metrics and logs. */
export const autopilotService: ServiceDefinition<AutopilotConfig> = {
  name: 'autopilot',
  version: '0.1.0',
  description: 'Verification gate: compares a canary against a baseline from metrics, logs and test results',
  configSchema: autopilotConfigSchema,
  migrationsDir: path.join(__dirname, '..', 'migrations'),
  async setup({ config, logger, database, jobs, http, metrics }) {
    const templateLimits = {
      maxPerApplication: config.templates.maxPerApplication,
      maxVersions: config.templates.maxVersions,
    };
    const templates = new TemplateStore(database, 'templates', templateLimits);
    const verifications = new VerificationStore(database);
    const logTemplates = new TemplateStore<LogTemplate>(database, 'log_templates', templateLimits);
    const marks = new LogMarkStore(database, config.logMarks.maxPerApplication);
    const providers = new ProviderRegistry(config.providers, config.analysis.defaultProvider);
    const logProviders = new LogProviderRegistry(config.logProviders);
    if (config.analysis.defaultProvider && !providers.names().includes(config.analysis.defaultProvider)) {
      throw new Error(
        `analysis.defaultProvider: no provider account ${config.analysis.defaultProvider} (configured: ${providers.names().join(', ') || 'none'})`,
      );
    }
    if (config.templates.directory) {
      // A bad file stops start-up with its name and field: a GitOps template must not be silently skipped.
      for (const { file, template } of readTemplateFiles(config.templates.directory)) {
        const { template: stored, created } = await templates.save(template, `file:${path.basename(file)}`, null);
        if (created) logger.info({ template: stored.name, version: stored.version, file }, 'template loaded from file');
      }
    }
    if (config.templates.logDirectory) {
      for (const { file, template } of readLogTemplateFiles(config.templates.logDirectory)) {
        logProviders.check(template, `${file}:`);
        const { template: stored, created } = await logTemplates.save(template, `file:${path.basename(file)}`, null);
        if (created)
          logger.info({ logTemplate: stored.name, version: stored.version, file }, 'log template loaded from file');
      }
    }
    const runner = new VerificationRunner({
      store: verifications,
      providers,
      logProviders,
      marks,
      jobs,
      logger,
      providerAttempts: config.analysis.providerAttempts,
      providerRetryDelayMs: config.analysis.providerRetryDelayMs,
      providerTimeoutMs: Math.max(
        0,
        ...[...Object.values(config.providers), ...Object.values(config.logProviders)].map((p) => p.timeoutMs),
      ),
      metrics: createAutopilotMetrics(metrics.registry),
      watchdogGraceMs: config.analysis.watchdogGraceMs,
      maxLogReadMs: config.analysis.maxLogReadMs,
      maxLogReadChars: config.analysis.maxLogReadChars,
      maxMetricPoints: config.analysis.maxMetricPoints,
      logLimits: {
        maxDistinctEvents: config.analysis.maxLogDistinctEvents,
        maxDistinctChars: config.analysis.maxLogDistinctChars,
        maxTemplateComparisons: config.analysis.maxLogTemplateComparisons,
      },
      audit: config.audit,
    });
    await runner.start();
    registerRoutes(http, {
      config,
      logger,
      templates,
      logTemplates,
      marks,
      verifications,
      providers,
      logProviders,
      runner,
    });
    const testVerifications = new TestVerificationStore(database);
    const testRunner = new TestVerificationRunner({
      store: testVerifications,
      jobs,
      logger,
      sources: config.testSources,
      limits: testResultLimits(config),
      attempts: config.analysis.providerAttempts,
      retryDelayMs: config.analysis.providerRetryDelayMs,
      watchdogGraceMs: config.analysis.watchdogGraceMs,
      audit: config.audit,
    });
    await testRunner.start();
    registerTestVerificationRoutes(http, { config, store: testVerifications, runner: testRunner });
    await new Retention({
      database,
      jobs,
      logger,
      registry: metrics.registry,
      sweeps: autopilotSweeps(config.retention),
      batchSize: config.retention.batchSize,
    }).schedule();
  },
};
