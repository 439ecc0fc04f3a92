// AWX / Ansible Tower contract harness, written from the AWX API v2 documentation (docs.ansible.com,
// "AWX API Reference Guide": job templates, launch, jobs, stdout): the calls visibility's Ansible stage
// makes, with AWX's answers and Django REST framework error bodies.
//
// What it holds to, from the docs:
// - `Authorization: Bearer <token>` (OAuth2 / personal access token) or basic auth; none → 401
//   `{"detail": "Authentication credentials were not provided."}`, a bad token → 401 `{"detail":
//   "Authentication credentials were not provided."}` as well (AWX ignores unknown tokens), bad basic →
//   `{"detail": "Invalid username/password."}`;
// - GET /api/v2/job_templates/?name=X → `{count, next, previous, results: [...]}`;
// - POST /api/v2/job_templates/{id}/launch/ → 201 `{job, id, type: "job", status: "pending", url, ...}`;
//   an unknown template → 404 `{"detail": "Not found."}`; `limit` or `extra_vars` on a template that does
//   not prompt for them → 400 `{"<field>": ["Field is not configured to prompt on launch."]}`;
//   `extra_vars` that is not a mapping → 400;
// - GET /api/v2/jobs/{id}/ → `{id, name, status, failed, started, finished, elapsed, limit, extra_vars,
//   result_traceback}` with status new → pending → waiting → running → successful | failed | error |
//   canceled; GET /api/v2/jobs/{id}/stdout/?format=txt → the output as text/plain;
// - POST /api/v2/jobs/{id}/cancel/ → 202 while the job can be canceled, 405 once it finished.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A job template. */
export interface AwxTemplate {
  id: number;
  name: string;
  askVariablesOnLaunch?: boolean;
  askLimitOnLaunch?: boolean;
}

/** A job as stored. */
export interface AwxJob {
  id: number;
  templateId: number;
  name: string;
  status: 'new' | 'pending' | 'waiting' | 'running' | 'successful' | 'failed' | 'error' | 'canceled';
  extraVars: Record<string, unknown>;
  limit: string;
  stdout: string;
  resultTraceback: string;
  started: string | null;
  finished: string | null;
}

/** Options of {@link startAwxHarness}. */
export interface AwxHarnessOptions {
  token: string;
  templates: AwxTemplate[];
}

/** A running harness. */
export interface AwxHarness {
  url: string;
  jobs: Map<number, AwxJob>;
  requests: Array<{ method: string; path: string; status: number; body: unknown }>;
  /** The job moves on, as AWX's dispatcher would; `output` is appended to its stdout. */
  progress(id: number, status: AwxJob['status'], output?: string): void;
  failNext(method: string, pathPrefix: string, answer: { status: number; body?: unknown }, count?: number): void;
  close(): Promise<void>;
}

/** Starts the harness on 127.0.0.1. */
export async function startAwxHarness(options: AwxHarnessOptions): Promise<AwxHarness> {
  const jobs = new Map<number, AwxJob>();
  const requests: AwxHarness['requests'] = [];
  const faults: Array<{ method: string; prefix: string; status: number; body?: unknown; left: number }> = [];
  let nextJob = 100;
  let base = '';

  type Answer = { status: number; body?: unknown; text?: string };
  const notFound: Answer = { status: 404, body: { detail: 'Not found.' } };
  const templateJson = (template: AwxTemplate) => ({
    id: template.id,
    type: 'job_template',
    url: `/api/v2/job_templates/${template.id}/`,
    name: template.name,
    ask_variables_on_launch: template.askVariablesOnLaunch ?? false,
    ask_limit_on_launch: template.askLimitOnLaunch ?? false,
  });
  const jobJson = (job: AwxJob) => ({
    id: job.id,
    type: 'job',
    url: `/api/v2/jobs/${job.id}/`,
    name: job.name,
    job_template: job.templateId,
    status: job.status,
    failed: ['failed', 'error'].includes(job.status),
    started: job.started,
    finished: job.finished,
    elapsed: job.started && job.finished ? (Date.parse(job.finished) - Date.parse(job.started)) / 1000 : 0,
    limit: job.limit,
    extra_vars: JSON.stringify(job.extraVars),
    result_traceback: job.resultTraceback,
  });

  function route(method: string, url: URL, body: unknown): Answer {
    const path = url.pathname;
    if (method === 'GET' && path === '/api/v2/job_templates/') {
      const name = url.searchParams.get('name');
      const results = options.templates.filter((template) => name === null || template.name === name).map(templateJson);
      return { status: 200, body: { count: results.length, next: null, previous: null, results } };
    }
    const launch = /^\/api\/v2\/job_templates\/(\d+)\/launch\/$/.exec(path);
    if (launch && method === 'POST') {
      const template = options.templates.find((candidate) => candidate.id === Number(launch[1]));
      if (!template) return notFound;
      const request = (body ?? {}) as Record<string, unknown>;
      const errors: Record<string, string[]> = {};
      const extraVars = request.extra_vars;
      if (extraVars !== undefined && (typeof extraVars !== 'object' || extraVars === null || Array.isArray(extraVars)))
        errors.extra_vars = [
          'Cannot parse as JSON (error: Expecting value) or YAML (error: Input type `list` is not a dictionary).',
        ];
      else if (extraVars !== undefined && Object.keys(extraVars).length > 0 && !template.askVariablesOnLaunch)
        errors.extra_vars = ['Field is not configured to prompt on launch.'];
      if (request.limit !== undefined && request.limit !== '' && !template.askLimitOnLaunch)
        errors.limit = ['Field is not configured to prompt on launch.'];
      if (Object.keys(errors).length) return { status: 400, body: errors };
      const job: AwxJob = {
        id: ++nextJob,
        templateId: template.id,
        name: template.name,
        status: 'pending',
        extraVars: (extraVars as Record<string, unknown> | undefined) ?? {},
        limit: typeof request.limit === 'string' ? request.limit : '',
        stdout: '',
        resultTraceback: '',
        started: null,
        finished: null,
      };
      jobs.set(job.id, job);
      return { status: 201, body: { job: job.id, ignored_fields: {}, ...jobJson(job) } };
    }
    const cancel = /^\/api\/v2\/jobs\/(\d+)\/cancel\/$/.exec(path);
    if (cancel && method === 'POST') {
      const job = jobs.get(Number(cancel[1]));
      if (!job) return notFound;
      // AWX answers 405 when the job can no longer be canceled (can_cancel false).
      if (!['new', 'pending', 'waiting', 'running'].includes(job.status))
        return { status: 405, body: { detail: 'Method "POST" not allowed.' } };
      job.status = 'canceled';
      job.finished = new Date().toISOString();
      return { status: 202 };
    }
    const jobPath = /^\/api\/v2\/jobs\/(\d+)\/(stdout\/)?$/.exec(path);
    if (jobPath && method === 'GET') {
      const job = jobs.get(Number(jobPath[1]));
      if (!job) return notFound;
      if (!jobPath[2]) return { status: 200, body: jobJson(job) };
      if (url.searchParams.get('format') !== 'txt') return { status: 200, body: { content: job.stdout } };
      return { status: 200, text: job.stdout };
    }
    return notFound;
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', base);
      const method = req.method ?? 'GET';
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      let answer: Answer;
      let parseError = false;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        parseError = true;
      }
      const fault = faults.find(
        (candidate) => candidate.method === method && url.pathname.startsWith(candidate.prefix),
      );
      const auth = req.headers.authorization ?? '';
      if (auth !== `Bearer ${options.token}`)
        answer = {
          status: 401,
          body: {
            detail: auth.startsWith('Basic ')
              ? 'Invalid username/password.'
              : 'Authentication credentials were not provided.',
          },
        };
      else if (fault) {
        fault.left -= 1;
        if (fault.left <= 0) faults.splice(faults.indexOf(fault), 1);
        answer = { status: fault.status, body: fault.body };
      } else if (parseError)
        answer = { status: 400, body: { detail: 'JSON parse error - Expecting value: line 1 column 1 (char 0)' } };
      else answer = route(method, url, body);
      requests.push({ method, path: url.pathname + url.search, status: answer.status, body });
      if (answer.text !== undefined) {
        res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(answer.text);
      } else {
        res.writeHead(answer.status, { 'content-type': 'application/json' });
        res.end(answer.body === undefined ? '' : JSON.stringify(answer.body));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: base,
    jobs,
    requests,
    progress(id, status, output = '') {
      const job = jobs.get(id);
      if (!job) throw new Error(`no job ${id}`);
      const now = new Date().toISOString();
      if (status === 'running' && !job.started) job.started = now;
      if (['successful', 'failed', 'error', 'canceled'].includes(status)) job.finished = now;
      if (status === 'error')
        job.resultTraceback = 'Traceback (most recent call last):\nRuntimeError: dispatcher lost the job';
      job.status = status;
      job.stdout += output;
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
