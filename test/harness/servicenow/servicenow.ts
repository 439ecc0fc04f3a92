// ServiceNow contract harness, written from ServiceNow's REST API documentation (Table API,
// docs.servicenow.com "Table API" and the change_request table of Change Management): the calls the
// visibility ServiceNow stage and evidence connector make, with ServiceNow's answers and error bodies.
//
// What it holds to, from the docs:
// - basic auth; no or wrong credentials → 401 `{error: {message: "User Not Authenticated", detail:
//   "Required to provide Auth information"}, status: "failure"}`;
// - POST /api/now/table/change_request → 201 `{result: {...record}}`; fields the table lacks are ignored,
//   a new change starts in state -5 (New) with approval `not requested`; `number` is CHG + 7 digits;
// - GET /api/now/table/change_request/{sys_id} → 200 `{result: {...}}`, unknown sys_id → 404
//   `{error: {message: "No Record found", detail: "Record doesn't exist or ACL restricts the record
//   retrieval"}, status: "failure"}`;
// - GET /api/now/table/change_request?sysparm_query=a=b^c=d&sysparm_limit=n → `{result: [...]}`;
// - `sysparm_fields` limits the fields returned; `sysparm_display_value=false` (raw values, the default)
//   is the only mode the harness answers, `true`/`all` are refused so a caller relying on labels notices;
// - a user without the create role gets 403 `{error: {message: "Operation Failed", detail: "ACL Exception
//   Insert Failed due to security constraints"}, status: "failure"}`.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A change_request record (raw values). */
export type ChangeRecord = Record<string, string>;

/** Options of {@link startServiceNowHarness}. */
export interface ServiceNowHarnessOptions {
  user: string;
  password: string;
  /** Whether the user may insert change requests (the `itil` role); default true. */
  mayCreate?: boolean;
}

/** A recorded request. */
export interface ServiceNowRequest {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

/** A running harness. */
export interface ServiceNowHarness {
  /** Instance URL, what `connectors.servicenow.url` is set to. */
  url: string;
  changes: ChangeRecord[];
  requests: ServiceNowRequest[];
  /** A change manager decides: approval `approved` moves the change to Scheduled (-2), `rejected` back to New. */
  decide(number: string, approval: 'approved' | 'rejected' | 'requested'): void;
  /** Sets the state (e.g. '4' Canceled) as a person could. */
  setState(number: string, state: string): void;
  failNext(method: string, pathPrefix: string, answer: { status: number; body?: unknown }, count?: number): void;
  close(): Promise<void>;
}

const failure = (message: string, detail: string) => ({ error: { message, detail }, status: 'failure' });

/** Starts the harness on 127.0.0.1. */
export async function startServiceNowHarness(options: ServiceNowHarnessOptions): Promise<ServiceNowHarness> {
  const changes: ChangeRecord[] = [];
  const requests: ServiceNowRequest[] = [];
  const faults: Array<{ method: string; prefix: string; status: number; body?: unknown; left: number }> = [];
  let sequence = 30_000;
  let base = '';
  const expectedAuth = `Basic ${Buffer.from(`${options.user}:${options.password}`).toString('base64')}`;

  const byNumber = (number: string) => {
    const change = changes.find((candidate) => candidate.number === number);
    if (!change) throw new Error(`no change ${number}`);
    return change;
  };
  const project = (record: ChangeRecord, fields: string | null) => {
    if (!fields) return record;
    const wanted = fields.split(',').map((field) => field.trim());
    return Object.fromEntries(wanted.map((field) => [field, record[field] ?? '']));
  };
  const matches = (record: ChangeRecord, query: string) =>
    query
      .split('^')
      .filter(Boolean)
      .every((term) => {
        const [field, ...rest] = term.split('=');
        return (record[field ?? ''] ?? '') === rest.join('=');
      });

  type Answer = { status: number; body?: unknown };
  function route(method: string, url: URL, body: unknown): Answer {
    const display = url.searchParams.get('sysparm_display_value');
    if (display && display !== 'false')
      return { status: 400, body: failure('Invalid parameter', 'the harness answers raw values only') };
    const fields = url.searchParams.get('sysparm_fields');
    const path = url.pathname;
    if (path === '/api/now/table/change_request' && method === 'POST') {
      if (options.mayCreate === false)
        return {
          status: 403,
          body: failure('Operation Failed', 'ACL Exception Insert Failed due to security constraints'),
        };
      if (!body || typeof body !== 'object' || Array.isArray(body))
        return { status: 400, body: failure('Exception while reading request', 'The payload is not valid JSON.') };
      const now = new Date().toISOString().replace('T', ' ').slice(0, 19);
      const allowed = [
        'short_description',
        'description',
        'type',
        'assignment_group',
        'category',
        'correlation_id',
        'correlation_display',
      ];
      const given = Object.fromEntries(
        Object.entries(body as Record<string, unknown>)
          .filter(([field]) => allowed.includes(field))
          .map(([field, value]) => [field, String(value)]),
      );
      const record: ChangeRecord = {
        type: 'normal',
        ...given,
        sys_id: randomBytes(16).toString('hex'),
        number: `CHG${String(++sequence).padStart(7, '0')}`,
        state: '-5',
        approval: 'not requested',
        sys_created_on: now,
        sys_updated_on: now,
      };
      changes.push(record);
      return { status: 201, body: { result: project(record, fields) } };
    }
    if (path === '/api/now/table/change_request' && method === 'GET') {
      const query = url.searchParams.get('sysparm_query') ?? '';
      const limit = Number(url.searchParams.get('sysparm_limit') ?? 10_000) || 10_000;
      const found = changes.filter((record) => matches(record, query)).slice(0, limit);
      return { status: 200, body: { result: found.map((record) => project(record, fields)) } };
    }
    const one = /^\/api\/now\/table\/change_request\/([^/]+)$/.exec(path);
    if (one && method === 'GET') {
      const record = changes.find((candidate) => candidate.sys_id === decodeURIComponent(one[1] as string));
      if (!record)
        return {
          status: 404,
          body: failure('No Record found', "Record doesn't exist or ACL restricts the record retrieval"),
        };
      return { status: 200, body: { result: project(record, fields) } };
    }
    return { status: 400, body: failure('Requested URI does not represent any resource', path) };
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const method = req.method ?? 'GET';
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = undefined;
      }
      let answer: Answer;
      const fault = faults.find(
        (candidate) => candidate.method === method && url.pathname.startsWith(candidate.prefix),
      );
      if (req.headers.authorization !== expectedAuth)
        answer = { status: 401, body: failure('User Not Authenticated', 'Required to provide Auth information') };
      else if (fault) {
        fault.left -= 1;
        if (fault.left <= 0) faults.splice(faults.indexOf(fault), 1);
        answer = { status: fault.status, body: fault.body };
      } else answer = route(method, url, body);
      requests.push({ method, path: url.pathname + url.search, status: answer.status, body });
      res.writeHead(answer.status, { 'content-type': 'application/json;charset=UTF-8' });
      res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    changes,
    requests,
    decide(number, approval) {
      const change = byNumber(number);
      change.approval = approval;
      if (approval === 'approved') change.state = '-2';
      if (approval === 'requested') change.state = '-3';
      if (approval === 'rejected') change.state = '-5';
    },
    setState(number, state) {
      byNumber(number).state = state;
    },
    failNext(method, pathPrefix, answer, count = 1) {
      faults.push({ method, prefix: pathPrefix, status: answer.status, body: answer.body, left: count });
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
