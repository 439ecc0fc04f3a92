// The AWX harness answers as the AWX API v2 docs describe: auth, DRF error bodies, launch and jobs.
import { startAwxHarness } from './index';
import type { AwxHarness } from './index';

let awx: AwxHarness;

beforeAll(async () => {
  awx = await startAwxHarness({ token: 't', templates: [{ id: 1, name: 'deploy', askLimitOnLaunch: true }] });
});
afterAll(() => awx.close());

async function call(method: string, path: string, body?: unknown, authorization = 'Bearer t') {
  const response = await fetch(awx.url + path, {
    method,
    headers: { 'content-type': 'application/json', authorization },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, text, type: response.headers.get('content-type') };
}

describe('AWX harness', () => {
  it('answers 401 with DRF’s detail for a missing token or wrong basic credentials', async () => {
    expect(await call('GET', '/api/v2/job_templates/', undefined, '')).toMatchObject({
      status: 401,
      text: '{"detail":"Authentication credentials were not provided."}',
    });
    expect((await call('GET', '/api/v2/job_templates/', undefined, 'Basic eDp5')).text).toBe(
      '{"detail":"Invalid username/password."}',
    );
  });

  it('launches with prompted fields only and serves the job and its text output', async () => {
    const refused = await call('POST', '/api/v2/job_templates/1/launch/', { extra_vars: { a: 1 } });
    expect(refused).toMatchObject({
      status: 400,
      text: '{"extra_vars":["Field is not configured to prompt on launch."]}',
    });
    const launched = await call('POST', '/api/v2/job_templates/1/launch/', { limit: 'web1' });
    expect(launched.status).toBe(201);
    const { job } = JSON.parse(launched.text) as { job: number };
    awx.progress(job, 'running', 'PLAY [all]\n');
    const read = JSON.parse((await call('GET', `/api/v2/jobs/${job}/`)).text) as Record<string, unknown>;
    expect(read).toMatchObject({ id: job, status: 'running', limit: 'web1', failed: false, job_template: 1 });
    expect(await call('GET', `/api/v2/jobs/${job}/stdout/?format=txt`)).toMatchObject({
      text: 'PLAY [all]\n',
      type: 'text/plain; charset=utf-8',
    });
    expect((await call('GET', '/api/v2/jobs/9999/')).text).toBe('{"detail":"Not found."}');
  });
});
