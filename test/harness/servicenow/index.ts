// ServiceNow contract harness: the Table API calls of visibility's ServiceNow stage and connector, from ServiceNow's docs.
export { startServiceNowHarness } from './servicenow';
export type { ChangeRecord, ServiceNowHarness, ServiceNowHarnessOptions, ServiceNowRequest } from './servicenow';
