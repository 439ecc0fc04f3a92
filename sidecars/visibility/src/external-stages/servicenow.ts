// The ServiceNow stage: creates a change request through the Table API (POST /api/now/table/change_request,
// raw values), then reads it (GET /api/now/table/change_request/{sys_id}) until its `approval` is
// `approved` (done) or `rejected` (rejected), or the change is canceled or closed without approval. The
// request's `correlation_id` names the run, so a create interrupted after ServiceNow made the record finds
// it (`sysparm_query=correlation_id=…`) instead of making a second one.
import { asArray, asRecord, asString, basicAuth, joinUrl } from '../connectors/http-json';
import type { CallLimits } from './jira';
import type { ExternalRef, ExternalStageRun } from './model';
import type { Observation, StageDriver } from './runner';
import type { CreateServiceNowChangeRequest } from './schemas';
import { ExternalSystemError, callVendor } from './vendor-http';

/** Where and as whom visibility calls ServiceNow (`connectors.servicenow`). */
export interface ServiceNowSettings {
  url: string;
  user?: string;
  password?: string;
}

/** change_request.state choice values (ServiceNow's change management states). */
const STATES = new Map([
  ['-5', 'New'],
  ['-4', 'Assess'],
  ['-3', 'Authorize'],
  ['-2', 'Scheduled'],
  ['-1', 'Implement'],
  ['0', 'Review'],
  ['3', 'Closed'],
  ['4', 'Canceled'],
]);
const FIELDS = 'sys_id,number,short_description,state,approval';

/** The value that names a run in the change's `correlation_id`. */
export function correlationId(runId: string): string {
  return `isd-run-${runId}`;
}

/** ServiceNow's error body `{error: {message, detail}, status: 'failure'}` in one line. */
export function serviceNowErrorText(body: unknown): string | undefined {
  const error = asRecord(asRecord(body).error);
  const parts = [asString(error.message), asString(error.detail)].filter((part): part is string => Boolean(part));
  return parts.length ? parts.join(': ') : undefined;
}

type Inputs = CreateServiceNowChangeRequest;

/** Creates the ServiceNow driver for the configured instance. */
export function serviceNowDriver(
  settings: ServiceNowSettings,
  limits: CallLimits,
  executionLink: (run: ExternalStageRun) => string | undefined,
): StageDriver {
  const headers = basicAuth(settings.user, settings.password);
  const call = (path: string, options: { method?: 'GET' | 'POST'; body?: unknown } = {}) =>
    callVendor('ServiceNow', { base: settings.url, path, headers, ...options, ...limits }, (_status, body) =>
      serviceNowErrorText(body),
    );
  const refOf = (record: Record<string, unknown>): ExternalRef => {
    const url = new URL(joinUrl(settings.url, 'nav_to.do'));
    url.searchParams.set('uri', `change_request.do?sys_id=${asString(record.sys_id) ?? ''}`);
    return { id: asString(record.number) ?? asString(record.sys_id) ?? '', url: url.toString() };
  };
  const query = (extra: Record<string, string>) =>
    new URLSearchParams({ sysparm_fields: FIELDS, sysparm_display_value: 'false', ...extra }).toString();

  function judge(record: Record<string, unknown>): Observation {
    const number = asString(record.number) ?? 'the change request';
    const stateValue = asString(record.state) ?? '';
    const state = STATES.get(stateValue) ?? `state ${stateValue || 'unknown'}`;
    const approval = asString(record.approval) ?? 'unknown';
    const observed = {
      sysId: asString(record.sys_id) ?? '',
      state,
      approval,
      shortDescription: asString(record.short_description) ?? '',
    };
    if (approval === 'approved')
      return { outcome: 'done', observed, message: `${number} is approved (state ${state})` };
    if (approval === 'rejected') return { outcome: 'rejected', observed, message: `${number} was rejected` };
    if (state === 'Canceled' || state === 'Closed')
      return { outcome: 'rejected', observed, message: `${number} is ${state} without approval` };
    return { outcome: 'waiting', observed, message: `${number} is ${state}, approval ${approval}` };
  }

  async function read(sysId: string): Promise<Record<string, unknown>> {
    const { body } = await call(`api/now/table/change_request/${encodeURIComponent(sysId)}?${query({})}`);
    const record = asRecord(asRecord(body).result);
    if (!asString(record.sys_id))
      throw new ExternalSystemError('ServiceNow answered a change request without sys_id', false);
    return record;
  }

  function description(run: ExternalStageRun, inputs: Inputs): string {
    const link = executionLink(run);
    const origin = [
      `Created by Spinnaker: application ${run.application}`,
      run.pipelineName ? `pipeline ${run.pipelineName}` : undefined,
      `execution ${run.executionId}${link ? ` (${link})` : ''}`,
      run.triggeredBy ? `triggered by ${run.triggeredBy}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return inputs.description ? `${inputs.description}\n\n${origin}` : origin;
  }

  return {
    kind: 'servicenow',
    system: 'ServiceNow',
    async start(run, resumed) {
      const inputs = run.request as Inputs;
      let record: Record<string, unknown> | undefined;
      if (resumed) {
        const { body } = await call(
          `api/now/table/change_request?${query({ sysparm_query: `correlation_id=${correlationId(run.id)}`, sysparm_limit: '1' })}`,
        );
        record = asArray(asRecord(body).result).map(asRecord)[0];
      }
      const found = Boolean(record);
      if (!record) {
        const { body } = await call(`api/now/table/change_request?${query({})}`, {
          method: 'POST',
          body: {
            short_description: inputs.shortDescription,
            description: description(run, inputs),
            type: inputs.changeType ?? 'normal',
            ...(inputs.assignmentGroup ? { assignment_group: inputs.assignmentGroup } : {}),
            ...(inputs.category ? { category: inputs.category } : {}),
            correlation_id: correlationId(run.id),
            correlation_display: 'Spinnaker (ISD)',
          },
        });
        record = asRecord(asRecord(body).result);
        if (!asString(record.sys_id))
          throw new ExternalSystemError('ServiceNow created a change request but did not answer its sys_id', true);
      }
      const observation = judge(record);
      const ref = refOf(record);
      return {
        ...observation,
        ref,
        message: `${found ? `found ${ref.id}, created by an earlier try` : `created ${ref.id}`}; ${observation.message}`,
      };
    },
    async observe(run) {
      return judge(await read(String(run.observed?.['sysId'] ?? '')));
    },
  };
}
