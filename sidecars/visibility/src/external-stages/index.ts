// External-system stages (JIRA, ...): visibility acts on the system for Orca and reports back.
import type { Database, HttpApp, Logger } from '@isd/kit';
import type { VisibilityConfig } from '../config';
import { awxDriver } from './awx';
import { jiraDriver } from './jira';
import type { ExternalStageRun } from './model';
import { registerExternalStageRoutes } from './routes';
import { ExternalStages } from './runner';
import { serviceNowDriver } from './servicenow';
import { ExternalStageStore } from './store';

/** Builds the stages from config and registers their routes. */
export function setupExternalStages(options: {
  config: VisibilityConfig;
  database: Database;
  http: HttpApp;
  logger: Logger;
  now: () => Date;
}): ExternalStages {
  const { config } = options;
  const settings = config.externalStages;
  const stages = new ExternalStages({
    store: new ExternalStageStore(options.database),
    settings: { ...settings, retryWindowMs: config.approvals.retryWindowMs },
    logger: options.logger.child({ module: 'external-stages' }),
    now: options.now,
  });
  const limits = { timeoutMs: settings.callTimeoutMs, maxResponseBytes: config.connectors.maxResponseBytes };
  const deck = config.approvals.deckUrl?.replace(/\/$/, '');
  const executionLink = (run: ExternalStageRun) =>
    deck
      ? `${deck}/#/applications/${encodeURIComponent(run.application)}/executions/details/${encodeURIComponent(run.executionId)}`
      : undefined;
  if (config.connectors.jira) stages.register(jiraDriver(config.connectors.jira, limits, executionLink));
  if (config.connectors.servicenow)
    stages.register(serviceNowDriver(config.connectors.servicenow, limits, executionLink));
  if (config.connectors.awx) stages.register(awxDriver(config.connectors.awx, limits));
  registerExternalStageRoutes(options.http, stages);
  return stages;
}
