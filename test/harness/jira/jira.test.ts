// The JIRA harness answers as Atlassian's REST API v2 docs describe: auth, error bodies, workflow rules.
import { startJiraHarness } from './index';
import type { JiraHarness } from './index';

let jira: JiraHarness;
const auth = { authorization: `Basic ${Buffer.from('bot:token').toString('base64')}` };

beforeAll(async () => {
  jira = await startJiraHarness({ user: 'bot', apiToken: 'token', projects: { OPS: ['Task'] } });
});
afterAll(() => jira.close());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = auth) {
  const response = await fetch(jira.url + path, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, json: () => JSON.parse(text) as Record<string, unknown> };
}

const issueFields = { project: { key: 'OPS' }, issuetype: { name: 'Task' }, summary: 'Deploy' };

describe('JIRA harness', () => {
  it('answers 401 in plain text without or with wrong credentials', async () => {
    expect((await call('GET', '/rest/api/2/issue/OPS-1', undefined, {})).status).toBe(401);
    const wrong = await call('GET', '/rest/api/2/issue/OPS-1', undefined, {
      authorization: `Basic ${Buffer.from('bot:nope').toString('base64')}`,
    });
    expect(wrong).toMatchObject({ status: 401, text: 'Client must be authenticated to access this resource.' });
  });

  it('creates issues with per-project keys and answers field errors as JIRA does', async () => {
    const created = await call('POST', '/rest/api/2/issue', { fields: issueFields });
    expect(created.status).toBe(201);
    expect(created.json()).toMatchObject({ key: 'OPS-1', self: expect.stringContaining('/rest/api/2/issue/') });
    const bad = await call('POST', '/rest/api/2/issue', {
      fields: { project: { key: 'NOPE' }, issuetype: { name: 'Task' }, summary: '' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json()).toEqual({
      errorMessages: [],
      errors: { project: 'valid project is required', summary: 'You must specify a summary of the issue.' },
    });
    const spaced = await call('POST', '/rest/api/2/issue', { fields: { ...issueFields, labels: ['a b'] } });
    expect(spaced.json()).toEqual({
      errorMessages: [],
      errors: { labels: "The label 'a b' contains spaces which is invalid." },
    });
  });

  it('offers only the transitions of the current status and refuses others', async () => {
    const { key } = (await call('POST', '/rest/api/2/issue', { fields: issueFields })).json() as { key: string };
    const listed = (await call('GET', `/rest/api/2/issue/${key}/transitions`)).json() as {
      transitions: Array<{ id: string; name: string; to: { name: string } }>;
    };
    expect(listed.transitions.map((transition) => transition.name)).toEqual(['Start Progress', 'Submit for Review']);
    const refused = await call('POST', `/rest/api/2/issue/${key}/transitions`, { transition: { id: '31' } });
    expect(refused.status).toBe(400);
    expect(refused.json()).toEqual({ errorMessages: ["Transition id '31' is not valid for this issue."], errors: {} });
    expect((await call('POST', `/rest/api/2/issue/${key}/transitions`, { transition: { id: '21' } })).status).toBe(204);
    const issue = (await call('GET', `/rest/api/2/issue/${key}?fields=status`)).json() as {
      fields: Record<string, { name: string; statusCategory: { key: string } }>;
    };
    expect(Object.keys(issue.fields)).toEqual(['status']);
    expect(issue.fields.status).toMatchObject({ name: 'In Review', statusCategory: { key: 'indeterminate' } });
  });

  it('answers 404 with JIRA’s message for a missing issue and searches by label or key', async () => {
    const missing = await call('GET', '/rest/api/2/issue/OPS-999');
    expect(missing.status).toBe(404);
    expect(missing.json()).toEqual({
      errorMessages: ['Issue does not exist or you do not have permission to see it.'],
      errors: {},
    });
    await call('POST', '/rest/api/2/issue', { fields: { ...issueFields, labels: ['isd-run-x'] } });
    const byLabel = (await call('GET', `/rest/api/2/search?jql=${encodeURIComponent('labels = "isd-run-x"')}`)).json();
    expect(byLabel).toMatchObject({ total: 1 });
    const bad = await call('GET', `/rest/api/2/search?jql=${encodeURIComponent('project = OPS')}`);
    expect(bad.status).toBe(400);
  });
});
