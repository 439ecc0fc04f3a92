// Public surface of @isd/orca-stages: the gate stage catalog and the Spinnaker config rendered from it.
export {
  defaultParameterValues,
  evidenceConnectors,
  gateKinds,
  gateStageByKey,
  gateStages,
  gateTokenHeader,
  parameterValuesKey,
  preconfiguredWebhookAlias,
  serviceTokenHeader,
} from './catalog';
export type {
  GateKind,
  GateStage,
  GateStageKey,
  GateStatuses,
  SidecarService,
  StageDefaults,
  StageParameter,
  WebhookMethod,
} from './catalog';
export {
  parseGateLocal,
  parseOrcaLocal,
  renderSpinnakerConfig,
  renderUrlRestrictions,
  writeRenderedConfig,
} from './render';
export type { RenderedConfig } from './render';
export {
  ConfigSchemaError,
  gateLocalSchema,
  orcaLocalSchema,
  parseWithSchema,
  preconfiguredWebhookSchema,
  proxyConfigSchema,
  urlRestrictionsSchema,
  webhookPropertiesSchema,
} from './spinnaker-schemas';
export type { GateLocalConfig, OrcaLocalConfig, PreconfiguredWebhook, ProxyConfig } from './spinnaker-schemas';
export { defaultValuesFile, mergeValues, renderValuesSchema, resolveValues } from './values';
export type { RenderValues } from './values';
