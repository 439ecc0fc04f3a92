// Orca contract harness: run pipelines of ISD gate stages from the rendered orca-local.yml as Orca would.
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';

export { runPipeline, startPipeline, toOrcaExecutionJson } from './orca-harness';
export type {
  CustomStageRunner,
  ExecutionStatus,
  HarnessExecution,
  HarnessStage,
  HarnessTask,
  OrcaHarnessOptions,
  PipelineInput,
  PipelineRun,
  PipelineStageInput,
  RecordedRequest,
} from './orca-harness';
export {
  evaluateEntries,
  evaluateExpression,
  evaluateTemplate,
  SpelEvaluationError,
  SpelUnsupportedError,
  toJson,
} from './spel';
export type { FailedExpression, SpelContext } from './spel';
export { UrlRestrictionError, validateWebhookUrl } from './url-restrictions';
export { startFakeGateService } from './fake-gate-service';
export type { FakeGateService, FakeGateServiceOptions, FakeRequest } from './fake-gate-service';

/** Renders orca-local.yml for sidecars on this machine (localhost allowed), with optional extra values. */
export function renderTestOrcaLocal(
  sidecars: { visibility: string; autopilot: string; sapor: string },
  overrides: Record<string, unknown> = {},
): string {
  const values = resolveValues({ overrides: { ...overrides, sidecars, orca: { allowLocalhost: true } } });
  return renderSpinnakerConfig(values).files['orca-local.yml'];
}
