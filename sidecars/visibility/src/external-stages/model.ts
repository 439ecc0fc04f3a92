// Records of stages that act on an external system on Orca's behalf (no I/O here).

/** The external systems a stage can act on. */
export type ExternalStageKind = 'jira' | 'servicenow' | 'awx';

/** Where a run is; `creating` and `waiting` are running, the rest are final. */
export type ExternalStageStatus = 'creating' | 'waiting' | 'done' | 'rejected' | 'failed' | 'timeout' | 'canceled';

/** Statuses after which nothing changes a run. */
export const finalStatuses: readonly ExternalStageStatus[] = ['done', 'rejected', 'failed', 'timeout', 'canceled'];

/** Whether a run has reached a final status. */
export function isFinal(status: ExternalStageStatus): boolean {
  return finalStatuses.includes(status);
}

/** What the external system calls the thing a run created, and where a person opens it. */
export interface ExternalRef {
  /** Issue key, change number or job id. */
  id: string;
  url: string;
}

/** One attempt of an external-system stage. */
export interface ExternalStageRun {
  id: string;
  kind: ExternalStageKind;
  executionId: string;
  stageId: string;
  attempt: number;
  application: string;
  pipelineName: string | null;
  pipelineId: string | null;
  triggeredBy: string | null;
  request: Record<string, unknown>;
  status: ExternalStageStatus;
  message: string;
  ref: ExternalRef | null;
  observed: Record<string, unknown> | null;
  createdAt: Date;
  updatedAt: Date;
  observedAt: Date | null;
  deadline: Date;
  closedAt: Date | null;
}
