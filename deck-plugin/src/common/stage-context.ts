// Where Orca leaves a gate's state in the stage: the webhook task's create and monitor bodies.
import type { IExecutionStage } from '@spinnaker/core';

/**
 * The latest body the sidecar gave Orca: the monitor body (`context.webhook.monitor.body`) once polling
 * started, else the create response (`context.webhook.body`); undefined before either exists.
 */
export function gateBody<T>(stage: Pick<IExecutionStage, 'context'>): T | undefined {
  const webhook = (stage.context as Record<string, unknown> | undefined)?.['webhook'] as
    Record<string, unknown> | undefined;
  const monitor = webhook?.['monitor'] as Record<string, unknown> | undefined;
  const body = monitor?.['body'] ?? webhook?.['body'];
  return body && typeof body === 'object' ? (body as T) : undefined;
}

/** The gate instance id: from the body, else the last path segment of Orca's `statusEndpoint`. */
export function gateId(stage: Pick<IExecutionStage, 'context'>): string | undefined {
  const body = gateBody<{ id?: unknown }>(stage);
  if (typeof body?.id === 'string' && body.id !== '') return body.id;
  const context = stage.context as Record<string, unknown> | undefined;
  const endpoint =
    context?.['statusEndpoint'] ?? (context?.['webhook'] as Record<string, unknown> | undefined)?.['statusEndpoint'];
  if (typeof endpoint !== 'string') return undefined;
  const segment = endpoint
    .replace(/[?#].*$/, '')
    .replace(/\/+$/, '')
    .split('/')
    .pop();
  return segment ? decodeURIComponent(segment) : undefined;
}

/** Errors Orca recorded for the webhook (create or monitor failures), shown instead of an empty panel. */
export function webhookError(stage: Pick<IExecutionStage, 'context'>): string | undefined {
  const webhook = (stage.context as Record<string, unknown> | undefined)?.['webhook'] as
    Record<string, unknown> | undefined;
  const monitor = webhook?.['monitor'] as Record<string, unknown> | undefined;
  const error = monitor?.['error'] ?? webhook?.['error'];
  return typeof error === 'string' && error !== '' ? error : undefined;
}
