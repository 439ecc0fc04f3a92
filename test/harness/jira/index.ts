// JIRA contract harness: the REST API v2 calls of visibility's JIRA stage and connector, from Atlassian's docs.
export { startJiraHarness } from './jira';
export type { JiraHarness, JiraHarnessOptions, JiraIssue, JiraRequest, JiraStatus, JiraTransition } from './jira';
