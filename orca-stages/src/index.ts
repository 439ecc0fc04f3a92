// Public surface of @isd/orca-stages: the gate stage catalog and the Spinnaker config rendered from it.
export {
  defaultParameterValues,
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
