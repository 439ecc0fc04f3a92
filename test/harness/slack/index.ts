// Slack contract harness: Web API methods visibility calls and signed interactivity requests, from Slack's docs.
export { buttonsOf, mrkdwnControls, mrkdwnTexts, startSlackHarness } from './slack';
export type {
  InteractionResponse,
  SlackCall,
  SlackHarness,
  SlackHarnessOptions,
  SlackMessage,
  SlackUser,
} from './slack';
