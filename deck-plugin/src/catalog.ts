// The only place the plugin reads the stage catalog: keys, labels, parameters, help and defaults all
// come from @isd/orca-stages so Deck, Orca's YAML and Gate's proxies cannot drift apart.
export {
  defaultParameterValues,
  evidenceConnectors,
  gateStages,
  parameterValuesKey,
  preconfiguredWebhookAlias,
} from '@isd/orca-stages';
export type { GateKind, GateStage, StageParameter } from '@isd/orca-stages';
