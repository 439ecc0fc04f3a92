// Public surface of the Deck plugin module: Deck imports `plugin`; hosts may swap the sidecar client.
export { plugin, helpContents } from './plugin';
export {
  ansibleStage,
  approvalStage,
  gateStageTypes,
  jiraStage,
  policyStage,
  serviceNowStage,
  verificationStage,
} from './stages';
export { createGateProxyClient, SidecarError } from './api/sidecar-client';
export type { FetchFunction, GateProxyClientOptions, SidecarClient, SidecarService } from './api/sidecar-client';
export { setDefaultSidecarClient, SidecarClientProvider } from './api/client-context';
export { suppressDuplicateStages } from './duplicate-suppression';
export type { SuppressionReport } from './duplicate-suppression';
export { validateGateStage } from './validation';
export type { StageErrors } from './validation';
export type * from './api/sidecar-shapes';
