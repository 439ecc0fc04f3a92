// The Ansible stage: launches an AWX / Ansible Tower job template (API v2,
// POST /api/v2/job_templates/{id}/launch/ with extra_vars and limit), then reads the job
// (GET /api/v2/jobs/{id}/) until it finishes, keeping the tail of its output
// (GET /api/v2/jobs/{id}/stdout/?format=txt) for the execution view. A launch is never repeated: AWX has
// no way to find the job an unanswered launch may have started, and a playbook run twice is not safe, so
// a launch that got no answer ends the stage with a message saying to check AWX. Canceling the pipeline
// cancels the job.
import { asArray, asNumber, asRecord, asString, basicAuth, joinUrl } from '../connectors/http-json';
import type { CallLimits } from './jira';
import type { ExternalStageRun } from './model';
import type { Observation, StageDriver } from './runner';
import type { CreateAwxJobRequest } from './schemas';
import { ExternalSystemError, callVendor } from './vendor-http';

/** Where and as whom visibility calls AWX (`connectors.awx`). */
export interface AwxSettings {
  url: string;
  token?: string;
  user?: string;
  password?: string;
  /** Most characters of job output kept for the view. */
  stdoutTailChars: number;
}

const RUNNING = new Set(['new', 'pending', 'waiting', 'running']);

/** AWX's (Django REST framework's) error bodies in one line: `{detail}` or `{field: [messages]}`. */
export function awxErrorText(body: unknown): string | undefined {
  const record = asRecord(body);
  const detail = asString(record.detail);
  if (detail) return detail;
  const parts = Object.entries(record).map(([field, value]) => {
    const messages = Array.isArray(value) ? value.map(String).join(' ') : String(value);
    return field === '__all__' || field === 'non_field_errors' ? messages : `${field}: ${messages}`;
  });
  return parts.length ? parts.join('; ') : undefined;
}

type Inputs = CreateAwxJobRequest;

/** Creates the AWX driver for the configured instance. */
export function awxDriver(settings: AwxSettings, limits: CallLimits): StageDriver {
  const headers = settings.token
    ? { authorization: `Bearer ${settings.token}` }
    : basicAuth(settings.user, settings.password);
  const call = (path: string, options: { method?: 'GET' | 'POST'; body?: unknown; accept?: 'json' | 'text' } = {}) =>
    callVendor('AWX', { base: settings.url, path, headers, ...options, ...limits }, (_status, body) =>
      awxErrorText(body),
    );
  const jobUrl = (id: number) => joinUrl(settings.url, `#/jobs/playbook/${id}/output`);

  async function templateId(template: string): Promise<{ id: number; name: string }> {
    if (/^\d+$/.test(template)) return { id: Number(template), name: `#${template}` };
    const { body } = await call(`api/v2/job_templates/?${new URLSearchParams({ name: template })}`);
    const found = asArray(asRecord(body).results).map(asRecord)[0];
    const id = asNumber(found?.id);
    if (id === undefined) throw new ExternalSystemError(`AWX has no job template named "${template}"`, true);
    return { id, name: template };
  }

  /** The last lines of the job's output, or why they could not be read (never fails the stage). */
  async function stdoutTail(id: number): Promise<string> {
    try {
      const { text } = await call(`api/v2/jobs/${id}/stdout/?format=txt`, { accept: 'text' });
      return text.length > settings.stdoutTailChars
        ? `…${text.slice(text.length - settings.stdoutTailChars).replace(/^[^\n]*\n/, '\n')}`
        : text;
    } catch (error) {
      return `(the output could not be read: ${error instanceof Error ? error.message : String(error)})`;
    }
  }

  async function observeJob(id: number): Promise<Observation> {
    const { body } = await call(`api/v2/jobs/${id}/`);
    const job = asRecord(body);
    const status = asString(job.status) ?? 'unknown';
    const observed = {
      jobId: id,
      status,
      name: asString(job.name) ?? '',
      started: asString(job.started) ?? null,
      finished: asString(job.finished) ?? null,
      elapsed: asNumber(job.elapsed) ?? null,
      stdoutTail: await stdoutTail(id),
    };
    if (RUNNING.has(status)) return { outcome: 'waiting', observed, message: `job ${id} is ${status}` };
    if (status === 'successful') return { outcome: 'done', observed, message: `job ${id} succeeded` };
    const traceback = asString(job.result_traceback);
    return {
      outcome: 'failed',
      observed,
      message: `job ${id} ${status === 'canceled' ? 'was canceled in AWX' : `ended ${status}`}${traceback ? `: ${traceback.trim().split('\n').pop() ?? ''}` : ''}`,
    };
  }

  return {
    kind: 'awx',
    system: 'AWX',
    async start(run, resumed) {
      const inputs = run.request as Inputs;
      if (resumed)
        throw new ExternalSystemError(
          `an earlier launch of job template "${inputs.jobTemplate}" got no answer from AWX and may have started a job; it is not launched again: check AWX's jobs, then restart the stage if none ran`,
          true,
        );
      const template = await templateId(inputs.jobTemplate);
      let launched;
      try {
        launched = await call(`api/v2/job_templates/${template.id}/launch/`, {
          method: 'POST',
          body: {
            ...(inputs.extraVars ? { extra_vars: inputs.extraVars } : {}),
            ...(inputs.limit ? { limit: inputs.limit } : {}),
          },
        });
      } catch (error) {
        if (error instanceof ExternalSystemError && !error.permanent)
          // The next try will find `resumed` and stop, naming this failure.
          throw new ExternalSystemError(`${error.message}; the launch may or may not have started a job`, false);
        throw error;
      }
      const id = asNumber(asRecord(launched.body).job) ?? asNumber(asRecord(launched.body).id);
      if (id === undefined)
        throw new ExternalSystemError('AWX launched the template but did not answer the job id', true);
      const ref = { id: String(id), url: jobUrl(id) };
      const observation = await observeJob(id);
      return { ...observation, ref, message: `launched ${template.name} as job ${id}; ${observation.message}` };
    },
    async observe(run: ExternalStageRun) {
      return observeJob(Number(run.ref?.id));
    },
    async cancel(run: ExternalStageRun) {
      // The pipeline was canceled: a deploy playbook must not go on (POST /api/v2/jobs/{id}/cancel/ → 202).
      await call(`api/v2/jobs/${Number(run.ref?.id)}/cancel/`, { method: 'POST', body: {} });
      return `AWX job ${run.ref?.id ?? ''} was asked to stop`;
    },
  };
}
