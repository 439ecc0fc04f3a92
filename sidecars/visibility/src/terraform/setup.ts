// Wires the Terraform stage into the visibility service: store, poll job and routes.
import type { Database, HttpApp, JobQueue, Logger } from '@isd/kit';
import type { ApprovalGate } from '../approvals';
import type { VisibilityConfig } from '../config';
import type { ApprovalStore } from '../store/approval-store';
import { registerTerraformRoutes } from './routes';
import { TerraformRuns } from './runs';
import { TerraformRunStore } from './store';
import { TerraformCloudClient } from './tfc-client';

export interface TerraformStageDependencies {
  config: VisibilityConfig;
  database: Database;
  approvals: ApprovalStore;
  gate: ApprovalGate;
  jobs: JobQueue;
  logger: Logger;
  http: HttpApp;
  now: () => Date;
}

/** Registers the routes (always: without config a create is a 400 naming it) and the poll job. */
export async function setupTerraformStage(deps: TerraformStageDependencies): Promise<TerraformRuns> {
  const runs = new TerraformRuns({ ...deps, store: new TerraformRunStore(deps.database) });
  await runs.defineJobs();
  const client = deps.config.terraform ? new TerraformCloudClient(deps.config.terraform) : null;
  registerTerraformRoutes(
    deps.http,
    runs,
    deps.gate,
    (run) => (client && run.tfcRunId ? client.runUrl(run.organization, run.workspace, run.tfcRunId) : null),
    deps.now,
  );
  return runs;
}
