// AWX / Ansible Tower contract harness: the API v2 calls of visibility's Ansible stage, from AWX's docs.
export { startAwxHarness } from './awx';
export type { AwxHarness, AwxHarnessOptions, AwxJob, AwxTemplate } from './awx';
