// Terraform Cloud / Enterprise contract harness: the run API (runs, actions, plans, JSON plan), from HashiCorp's docs.
export { startTerraformCloudHarness } from './terraform-cloud';
export type {
  HarnessCall,
  HarnessRun,
  HarnessWorkspace,
  PhaseDurations,
  PlannedChange,
  TerraformCloudHarness,
  TerraformCloudHarnessOptions,
} from './terraform-cloud';
