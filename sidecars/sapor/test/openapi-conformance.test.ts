// Found by fuzzing /openapi.json (test/security/api-fuzz.test.ts): answers carrying fields their documented
// schema did not have, and a version past Postgres integers answered with a 500.
import type { RunningService } from '@isd/kit';
import type { SaporConfig } from '../src';
import { client, examplesDir, startSapor, users } from './helpers';

let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;
let document: { paths: Record<string, Record<string, { responses: Record<string, DocumentedResponse> }>> };

interface DocumentedResponse {
  content?: Record<string, { schema: { properties?: Record<string, unknown>; additionalProperties?: unknown } }>;
}

beforeAll(async () => {
  sapor = await startSapor({ policy: { directory: examplesDir } });
  api = client(sapor.url);
  document = (await api.asService('GET', '/openapi.json')).body;
});

afterAll(async () => {
  await sapor.stop();
});

/** The fields the document promises for a 200 answer of `method path`. */
function documentedFields(path: string, method: string): string[] {
  const schema = document.paths[path]?.[method]?.responses['200']?.content?.['application/json']?.schema;
  if (!schema?.properties) throw new Error(`${method} ${path} documents no JSON object for 200`);
  return Object.keys(schema.properties);
}

it.each([
  ['/api/v1/policies', 'get', () => api.asUser(users.admin, 'GET', '/api/v1/policies')],
  ['/api/v1/insights/dora', 'get', () => api.asUser(users.admin, 'GET', '/api/v1/insights/dora')],
  [
    '/v1/data/{path}',
    'post',
    () => api.asService('POST', '/v1/data/isd/runtime?metrics=true&provenance=true', { input: {} }),
  ],
])('%s (%s) answers only the fields its schema documents', async (path, method, request) => {
  const answer = await request();
  expect(answer.status).toBe(200);
  const fields = documentedFields(path, method);
  expect(Object.keys(answer.body).filter((field) => !fields.includes(field))).toEqual([]);
});

it('refuses a policy version past the Postgres integer range with 400 naming it, not a 500', async () => {
  const answer = await api.asUser(users.admin, 'GET', '/api/v1/policies/any/versions/9007199254740990');
  expect(answer.status).toBe(400);
  expect(answer.body.field).toBe('path.version');
});
