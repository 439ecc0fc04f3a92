import path from 'node:path';
import { Retention, type ServiceDefinition } from '@isd/kit';
import { registerDeckPluginRoutes } from './api/deck-plugin';
import { registerEmailRoutes } from './api/email-routes';
import { registerApprovalRoutes } from './api/routes';
import { registerSlackRoutes } from './api/slack-routes';
import { ApprovalGate } from './approvals';
import { visibilityConfigSchema, type VisibilityConfig } from './config';
import { setupExternalStages } from './external-stages';
import { EmailLinks, issueEmailLink } from './notifications/email-links';
import { SlackInteractions } from './notifications/slack-interactions';
import { visibilitySweeps } from './retention';
import { PostgresApprovalStore } from './store/postgres-approval-store';
import { setupTerraformStage } from './terraform/setup';

/** What the visibility service is built from besides its config; tests inject a clock to pass deadlines. */
export interface VisibilityServiceOptions {
  now?: () => Date;
}

/** The visibility service: approval gate: waits for approver groups to approve or reject, with evidence. */
export function createVisibilityService(options: VisibilityServiceOptions = {}): ServiceDefinition<VisibilityConfig> {
  const now = options.now ?? (() => new Date());
  return {
    name: 'visibility',
    version: '0.1.0',
    description: 'Approval gate: waits for approver groups to approve or reject, with evidence',
    configSchema: visibilityConfigSchema,
    migrationsDir: path.join(__dirname, '..', 'migrations'),
    async setup({ config, logger, database, jobs, http, metrics, permissions }) {
      const approvalStore = new PostgresApprovalStore(database);
      const gate = new ApprovalGate({
        config,
        store: approvalStore,
        jobs,
        logger,
        now,
        issueEmailLink: (approvalId, recipient) => issueEmailLink(database, approvalId, recipient),
      });
      await gate.defineJobs();
      registerApprovalRoutes(http, gate, now);
      const terraform = await setupTerraformStage({
        config,
        database,
        approvals: approvalStore,
        gate,
        jobs,
        logger,
        http,
        now,
      });
      setupExternalStages({ config, database, http, logger, now });
      if (config.notifications.email?.decisionLinkBase) registerEmailRoutes(http, new EmailLinks(database, gate));
      const slack = config.notifications.slack;
      if (slack?.signingSecret) {
        const interactions = new SlackInteractions({
          config: slack,
          timeoutMs: config.notifications.timeoutMs,
          gate,
          permissions,
          database,
          logger,
        });
        registerSlackRoutes(http, interactions);
      }
      if (config.deckPlugin.dir) registerDeckPluginRoutes(http, config.deckPlugin.dir);
      await new Retention({
        database,
        jobs,
        logger,
        registry: metrics.registry,
        sweeps: visibilitySweeps(config.retention.days),
        batchSize: config.retention.batchSize,
        now,
      }).schedule();
      // Gates whose jobs were not queued before a crash are finished here, at start and then periodically.
      const sweep = () =>
        gate.reconcile().then(
          (count) => count && logger.info({ count }, 'queued jobs of gates a crash left behind'),
          (error: unknown) => logger.warn({ err: error }, 'reconcile sweep failed'),
        );
      const sweepTerraform = () =>
        terraform.reconcile().then(
          (count) => count && logger.info({ count }, 're-queued Terraform runs a crash left without a poll'),
          (error: unknown) => logger.warn({ err: error }, 'Terraform reconcile sweep failed'),
        );
      await sweep();
      await sweepTerraform();
      const timer = setInterval(() => void sweep().then(sweepTerraform), config.approvals.reconcileIntervalMs);
      timer.unref();
      return {
        async stop() {
          clearInterval(timer);
        },
      };
    },
  };
}

export const visibilityService = createVisibilityService();
