// The JIRA stage: creates an issue (REST API v2, POST /rest/api/2/issue), optionally performs a workflow
// transition (GET/POST /rest/api/2/issue/{key}/transitions), then reads the issue's status
// (GET /rest/api/2/issue/{key}) until it is one the stage waits for or one that rejects it. Every issue
// carries a label naming the run, so a create interrupted after JIRA made the issue finds it
// (GET /rest/api/2/search) instead of making a second one.
import { asArray, asRecord, asString, basicAuth, joinUrl } from '../connectors/http-json';
import type { ExternalStageRun } from './model';
import type { Observation, StageDriver } from './runner';
import type { CreateJiraIssueRequest } from './schemas';
import { ExternalSystemError, callVendor } from './vendor-http';

/** Where and as whom visibility calls JIRA (`connectors.jira`). */
export interface JiraSettings {
  url: string;
  user?: string;
  apiToken?: string;
}

/** Limits of one call. */
export interface CallLimits {
  timeoutMs: number;
  maxResponseBytes: number;
}

/** The label that identifies the run's issue. */
export function runLabel(runId: string): string {
  return `isd-run-${runId}`;
}

/**
 * JIRA's error body `{errorMessages: [...], errors: {field: message}}` in one line, e.g.
 * `project: valid project is required`.
 */
export function jiraErrorText(body: unknown): string | undefined {
  const record = asRecord(body);
  const messages = asArray(record.errorMessages).filter((item): item is string => typeof item === 'string');
  const fields = Object.entries(asRecord(record.errors)).map(([field, message]) => `${field}: ${String(message)}`);
  const all = [...messages, ...fields];
  return all.length ? all.join('; ') : undefined;
}

/** The stage's inputs as the run stores them. */
type JiraInputs = CreateJiraIssueRequest;

/** Creates the JIRA driver for the configured instance and links back to Deck. */
export function jiraDriver(
  settings: JiraSettings,
  limits: CallLimits,
  executionLink: (run: ExternalStageRun) => string | undefined,
): StageDriver {
  const headers = basicAuth(settings.user, settings.apiToken);
  const call = (path: string, options: { method?: 'GET' | 'POST'; body?: unknown } = {}) =>
    callVendor('JIRA', { base: settings.url, path, headers, ...options, ...limits }, (_status, body) =>
      jiraErrorText(body),
    );
  const issueUrl = (key: string) => joinUrl(settings.url, `browse/${encodeURIComponent(key)}`);

  async function readIssue(key: string): Promise<{ status: string; statusCategory: string | null; summary: string }> {
    const { body } = await call(`rest/api/2/issue/${encodeURIComponent(key)}?fields=status,summary`);
    const fields = asRecord(asRecord(body).fields);
    const status = asRecord(fields.status);
    const name = asString(status.name);
    if (!name) throw new ExternalSystemError(`JIRA answered issue ${key} without a status`, false);
    return {
      status: name,
      statusCategory: asString(asRecord(status.statusCategory).key) ?? null,
      summary: asString(fields.summary) ?? '',
    };
  }

  /** The issue an earlier, interrupted create of this run made, if JIRA has one with the run's label. */
  async function findEarlierIssue(runId: string): Promise<string | undefined> {
    const query = new URLSearchParams({ jql: `labels = "${runLabel(runId)}"`, fields: 'status', maxResults: '1' });
    const { body } = await call(`rest/api/2/search?${query}`);
    const first = asRecord(asArray(asRecord(body).issues)[0]);
    return asString(first.key);
  }

  async function transition(key: string, wanted: string): Promise<string> {
    const { body } = await call(`rest/api/2/issue/${encodeURIComponent(key)}/transitions`);
    const transitions = asArray(asRecord(body).transitions).map((item) => {
      const record = asRecord(item);
      return {
        id: asString(record.id) ?? '',
        name: asString(record.name) ?? '',
        to: asString(asRecord(record.to).name) ?? '',
      };
    });
    const lower = wanted.toLowerCase();
    const match =
      transitions.find((candidate) => candidate.name.toLowerCase() === lower) ??
      transitions.find((candidate) => candidate.to.toLowerCase() === lower);
    if (!match) {
      const offered = transitions.map((candidate) => `${candidate.name} (→ ${candidate.to})`).join(', ') || 'none';
      throw new ExternalSystemError(
        `JIRA issue ${key} has no transition "${wanted}" from its current status; available: ${offered}`,
        true,
      );
    }
    await call(`rest/api/2/issue/${encodeURIComponent(key)}/transitions`, {
      method: 'POST',
      body: { transition: { id: match.id } },
    });
    return match.name;
  }

  function judge(run: ExternalStageRun, key: string, issue: Awaited<ReturnType<typeof readIssue>>): Observation {
    const inputs = run.request as JiraInputs;
    const is = (list: string[] | undefined) => (list ?? []).some((s) => s.toLowerCase() === issue.status.toLowerCase());
    const waitFor = inputs.waitForStatuses ?? [];
    const observed = { ...issue };
    if (is(inputs.rejectStatuses))
      return { outcome: 'rejected', observed, message: `${key} is ${issue.status}, a rejecting status` };
    if (waitFor.length === 0 || is(waitFor)) return { outcome: 'done', observed, message: `${key} is ${issue.status}` };
    return {
      outcome: 'waiting',
      observed,
      message: `${key} is ${issue.status}; waiting for ${waitFor.join(' or ')}`,
    };
  }

  function description(run: ExternalStageRun, inputs: JiraInputs): string {
    const link = executionLink(run);
    const origin = [
      `Created by Spinnaker: application ${run.application}`,
      run.pipelineName ? `pipeline ${run.pipelineName}` : undefined,
      `execution ${link ? `[${run.executionId}|${link}]` : run.executionId}`,
      run.triggeredBy ? `triggered by ${run.triggeredBy}` : undefined,
    ]
      .filter(Boolean)
      .join(', ');
    return inputs.description ? `${inputs.description}\n\n----\n${origin}` : origin;
  }

  return {
    kind: 'jira',
    system: 'JIRA',
    async start(run, resumed) {
      const inputs = run.request as JiraInputs;
      let key = resumed ? await findEarlierIssue(run.id) : undefined;
      const notes: string[] = [];
      if (!key) {
        const { body } = await call('rest/api/2/issue', {
          method: 'POST',
          body: {
            fields: {
              project: { key: inputs.project },
              issuetype: { name: inputs.issueType },
              summary: inputs.summary,
              description: description(run, inputs),
              labels: [...(inputs.labels ?? []), runLabel(run.id)],
            },
          },
        });
        key = asString(asRecord(body).key);
        if (!key) throw new ExternalSystemError('JIRA created an issue but did not answer its key', true);
        notes.push(`created ${key}`);
      } else notes.push(`found ${key}, created by an earlier try`);
      const ref = { id: key, url: issueUrl(key) };
      if (inputs.transition) {
        try {
          notes.push(`moved it through "${await transition(key, inputs.transition)}"`);
        } catch (error) {
          // The issue exists: remember it, so the failure message and the view can point at it.
          if (error instanceof ExternalSystemError) error.ref = ref;
          throw error;
        }
      }
      const observation = judge(run, key, await readIssue(key));
      return { ...observation, ref, message: `${notes.join(', ')}; ${observation.message}` };
    },
    async observe(run) {
      const key = run.ref?.id ?? '';
      return judge(run, key, await readIssue(key));
    },
  };
}
