// ServiceNow: a change request's state, approval and planned window from the Table API
// (`GET /api/now/table/change_request?sysparm_query=number=<CHG…>`, raw field values).
import type { EvidenceRequest } from '../api/schemas';
import { notConfigured, type Connector } from './connector';
import { asArray, asRecord, asString, basicAuth, fetchJson, joinUrl } from './http-json';

type ServiceNowRequest = Extract<EvidenceRequest, { connector: 'servicenow' }>;

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
const FIELDS = 'sys_id,number,short_description,state,approval,start_date,end_date';

/** Raw date-times are UTC `yyyy-MM-dd HH:mm:ss`; anything else is "no date". */
function utcDate(value: string | undefined): Date | null {
  const match = value ? /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})$/.exec(value) : null;
  return match ? new Date(`${match[1]}T${match[2]}Z`) : null;
}

/** ServiceNow change request evidence: pass when approved, scheduled or implementing, inside its window. */
export const servicenowConnector: Connector<ServiceNowRequest> = async (request, context) => {
  const servicenow = context.config.servicenow;
  if (!servicenow) throw notConfigured('ServiceNow', 'servicenow');
  const query = new URLSearchParams({
    sysparm_query: `number=${request.changeRequest}`,
    sysparm_fields: FIELDS,
    sysparm_limit: '1',
    sysparm_display_value: 'false',
  });
  const body = asRecord(
    await fetchJson(servicenow.url, `api/now/table/change_request?${query}`, {
      headers: basicAuth(servicenow.user, servicenow.password),
      signal: context.signal,
      maxResponseBytes: context.config.maxResponseBytes,
    }),
  );
  const record = asArray(body.result).map(asRecord)[0];
  if (!record)
    return {
      status: 'fail',
      summary: `change request ${request.changeRequest} not found`,
      data: { changeRequest: request.changeRequest, found: false },
    };
  const stateValue = asString(record.state) ?? '';
  const state = STATES.get(stateValue) ?? `state ${stateValue || 'unknown'}`;
  const approval = asString(record.approval) ?? 'unknown';
  const start = utcDate(asString(record.start_date));
  const end = utcDate(asString(record.end_date));
  const now = context.now().getTime();
  const inWindow = (!start || start.getTime() <= now) && (!end || now <= end.getTime());
  const sysId = asString(record.sys_id) ?? '';
  const url = new URL(joinUrl(servicenow.url, 'nav_to.do'));
  url.searchParams.set('uri', `change_request.do?sys_id=${sysId}`);
  const ready = approval === 'approved' && (state === 'Scheduled' || state === 'Implement');
  const refused = approval === 'rejected' || state === 'Canceled' || state === 'Closed';
  const window = start || end ? `, window ${start?.toISOString() ?? '…'} – ${end?.toISOString() ?? '…'}` : '';
  return {
    status: refused ? 'fail' : ready && inWindow ? 'pass' : 'warn',
    summary: `${asString(record.number) ?? request.changeRequest} ${state}, approval ${approval}${window}${ready && !inWindow ? ' (outside its window)' : ''}`,
    data: {
      changeRequest: asString(record.number) ?? request.changeRequest,
      found: true,
      state,
      approval,
      inWindow,
      startDate: start?.toISOString() ?? null,
      endDate: end?.toISOString() ?? null,
      shortDescription: asString(record.short_description) ?? '',
      url: url.toString(),
    },
  };
};
