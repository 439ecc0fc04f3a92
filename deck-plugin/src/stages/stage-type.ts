// Builds Deck's IStageTypeConfig for a gate from the catalog, so keys, labels, defaults and Orca
// routing fields are the same for all three gates.
import { ExecutionDetailsTasks } from '@spinnaker/core';
import type { IExecutionDetailsSection, IStageConfigProps, IStageTypeConfig } from '@spinnaker/core';
import type React from 'react';

import { getDefaultSidecarClient } from '../api/client-context';
import { defaultParameterValues, gateStages, parameterValuesKey, preconfiguredWebhookAlias } from '../catalog';
import type { GateKind } from '../catalog';
import { PipelineChecker } from '../policy-check';
import { stageValidators } from '../validation';

/** Stage keys of all gates: the save-time check reports on the first of them in a pipeline. */
const gateKeys = Object.values(gateStages).map((gate) => gate.key);

/** One checker for every gate stage, so a pipeline with several gates is checked once per change. */
const pipelineChecker = new PipelineChecker(() => getDefaultSidecarClient());

/** The Deck stage config of one gate, with its editor and execution view. */
export function gateStageType(
  kind: GateKind,
  editor: React.ComponentType<IStageConfigProps>,
  details: IExecutionDetailsSection,
): IStageTypeConfig {
  const gate = gateStages[kind];
  return {
    key: gate.key,
    label: gate.label,
    description: gate.description,
    component: editor,
    executionDetailsSections: [details, ExecutionDetailsTasks],
    // Orca routes a stage with this alias to PreconfiguredWebhookStage, which finds the YAML by `type`.
    alias: preconfiguredWebhookAlias,
    addAliasToConfig: true,
    supportsCustomTimeout: true,
    // stageTimeoutMs, waitForCompletion and friends are read by Orca only from the stage JSON.
    defaults: { ...structuredClone(gate.stageDefaults), [parameterValuesKey]: defaultParameterValues(gate) },
    validators: [...stageValidators(kind), ...pipelineChecker.validators(gateKeys)],
    restartable: false,
    producesArtifacts: false,
  };
}
