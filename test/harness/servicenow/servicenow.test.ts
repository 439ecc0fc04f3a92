// The ServiceNow harness answers as the Table API docs describe: auth, error bodies, queries and fields.
import { startServiceNowHarness } from './index';
import type { ServiceNowHarness } from './index';

let servicenow: ServiceNowHarness;
const auth = { authorization: `Basic ${Buffer.from('u:p').toString('base64')}` };

beforeAll(async () => {
  servicenow = await startServiceNowHarness({ user: 'u', password: 'p' });
});
afterAll(() => servicenow.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const response = await fetch(servicenow.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('ServiceNow harness', () => {
  it('answers 401 with ServiceNow’s failure body without credentials', async () => {
    expect(await call('GET', '/api/now/table/change_request', undefined, {})).toEqual({
      status: 401,
      body: {
        error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
        status: 'failure',
      },
    });
  });

  it('creates a New change, ignores unknown fields, and answers only the asked fields', async () => {
    const created = await call('POST', '/api/now/table/change_request?sysparm_fields=number,state,approval,nope', {
      short_description: 'Deploy',
      not_a_field: 'x',
    });
    expect(created.status).toBe(201);
    expect(created.body.result).toEqual({ number: 'CHG0030001', state: '-5', approval: 'not requested', nope: '' });
    expect(servicenow.changes[0]).not.toHaveProperty('not_a_field');
  });

  it('queries with sysparm_query terms and answers 404 for an unknown sys_id', async () => {
    await call('POST', '/api/now/table/change_request', { short_description: 'Other', correlation_id: 'run-9' });
    const found = await call(
      'GET',
      '/api/now/table/change_request?sysparm_query=correlation_id%3Drun-9&sysparm_limit=1',
    );
    expect((found.body.result as Array<{ number: string }>).map((record) => record.number)).toEqual(['CHG0030002']);
    const missing = await call('GET', '/api/now/table/change_request/abc');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({
      error: { message: 'No Record found', detail: "Record doesn't exist or ACL restricts the record retrieval" },
      status: 'failure',
    });
    servicenow.decide('CHG0030002', 'approved');
    expect(servicenow.changes[1]).toMatchObject({ approval: 'approved', state: '-2' });
  });
});
