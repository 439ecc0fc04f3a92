// Terraform Cloud / Enterprise run API client (HashiCorp's API docs: workspaces, runs, run actions, plans),
// through the kit's outbound client. JSON:API in and out; every failure is a TerraformCloudError that says
// whether trying again later can help (network, 429, 5xx) or not (401, 404, 422…).
import { OutboundError, describeUrl, outboundRequest, parsePeerJson, type OutboundResponse } from '@isd/kit';
import type { TerraformConfig } from './config';

const MEDIA_TYPE = 'application/vnd.api+json';
const MAX_API_RESPONSE_BYTES = 4 * 1024 * 1024;

/** A failed call; `transient` means the same call may succeed later. */
export class TerraformCloudError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TerraformCloudError';
  }
}

/** What the stage needs of a run. */
export interface TfcRun {
  id: string;
  status: string;
  message: string;
  hasChanges: boolean;
  errorText: string | null;
  isConfirmable: boolean;
  isDiscardable: boolean;
  isCancelable: boolean;
  planId: string | null;
  /** The plan's counts, when the run was read with its plan included and the plan finished. */
  plan: { status: string; additions: number; changes: number; destructions: number } | null;
}

type Json = Record<string, unknown>;
const record = (value: unknown): Json =>
  value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const count = (value: unknown): number => (typeof value === 'number' && Number.isFinite(value) ? value : 0);

/** The first JSON:API error of a body, as `title: detail`, for messages. */
function apiErrorText(body: string): string {
  try {
    const first = record((record(JSON.parse(body)).errors as unknown[] | undefined)?.[0]);
    const parts = [text(first.title), text(first.detail)].filter(Boolean);
    const pointer = text(record(first.source).pointer);
    return parts.length ? `${parts.join(': ')}${pointer ? ` (${pointer})` : ''}` : body.slice(0, 200);
  } catch {
    return body.slice(0, 200);
  }
}

/** Parses one run document (`data` of GET /runs/:id), with its plan from `included` if present. */
export function parseRun(document: unknown): TfcRun {
  const body = record(document);
  const data = record(body.data);
  const attributes = record(data.attributes);
  const actions = record(attributes.actions);
  const id = text(data.id);
  const status = text(attributes.status);
  if (!id || !status) throw new TerraformCloudError('Terraform Cloud answered a run without id or status', false);
  const planId = text(record(record(record(data.relationships).plan).data).id) ?? null;
  const included = Array.isArray(body.included) ? body.included.map(record) : [];
  const plan = included.find((entry) => entry.type === 'plans' && entry.id === planId);
  const planAttributes = plan ? record(plan.attributes) : undefined;
  return {
    id,
    status,
    message: text(attributes.message) ?? '',
    hasChanges: attributes['has-changes'] === true,
    errorText: text(attributes['error-text']) ?? null,
    isConfirmable: actions['is-confirmable'] === true,
    isDiscardable: actions['is-discardable'] === true,
    isCancelable: actions['is-cancelable'] === true,
    planId,
    plan: planAttributes
      ? {
          status: text(planAttributes.status) ?? 'unknown',
          additions: count(planAttributes['resource-additions']),
          changes: count(planAttributes['resource-changes']),
          destructions: count(planAttributes['resource-destructions']),
        }
      : null,
  };
}

/** Calls one Terraform Cloud / Enterprise with the configured token. */
export class TerraformCloudClient {
  constructor(private readonly config: TerraformConfig) {}

  /** The web page of a run, for people. */
  runUrl(organization: string, workspace: string, runId: string): string {
    const base = this.config.url.replace(/\/+$/, '');
    return `${base}/app/${encodeURIComponent(organization)}/workspaces/${encodeURIComponent(workspace)}/runs/${encodeURIComponent(runId)}`;
  }

  /** The workspace id of `organization/name`; a workspace the token cannot see is "not found", as TFC says. */
  async workspaceId(organization: string, name: string): Promise<string> {
    const body = await this.call(
      'GET',
      `api/v2/organizations/${encodeURIComponent(organization)}/workspaces/${encodeURIComponent(name)}`,
    );
    const id = text(record(record(body).data).id);
    if (!id)
      throw new TerraformCloudError(`Terraform Cloud answered workspace ${organization}/${name} without an id`, false);
    return id;
  }

  /** A recent run of the workspace whose message contains `marker` (a create that was sent but not recorded). */
  async findRun(workspaceId: string, marker: string): Promise<TfcRun | null> {
    const body = record(
      await this.call('GET', `api/v2/workspaces/${encodeURIComponent(workspaceId)}/runs?page%5Bsize%5D=50`),
    );
    const runs = Array.isArray(body.data) ? body.data : [];
    for (const run of runs) {
      const message = text(record(record(run).attributes).message) ?? '';
      if (message.includes(marker)) return parseRun({ data: run });
    }
    return null;
  }

  /** Queues a run that waits for confirmation (`auto-apply: false`), with run variables in HCL. */
  async createRun(
    workspaceId: string,
    message: string,
    variables: Array<{ key: string; value: string }>,
  ): Promise<TfcRun> {
    const body = await this.call('POST', 'api/v2/runs', {
      data: {
        type: 'runs',
        attributes: { message, 'auto-apply': false, ...(variables.length ? { variables } : {}) },
        relationships: { workspace: { data: { type: 'workspaces', id: workspaceId } } },
      },
    });
    return parseRun(body);
  }

  /** The run with its plan's counts. */
  async getRun(runId: string): Promise<TfcRun> {
    return parseRun(await this.call('GET', `api/v2/runs/${encodeURIComponent(runId)}?include=plan`));
  }

  /** apply | discard | cancel with a comment; 409 (not in turn) is a non-transient error with status 409. */
  async action(runId: string, action: 'apply' | 'discard' | 'cancel', comment: string): Promise<void> {
    await this.call('POST', `api/v2/runs/${encodeURIComponent(runId)}/actions/${action}`, { comment });
  }

  /**
   * The plan in Terraform's JSON format. TFC answers 204 while the plan runs and then redirects to a
   * short-lived URL (HCP Terraform: archivist.terraform.io); the redirect is followed only to `url` or a
   * configured archivist origin, and without the token (the URL carries its own authorization).
   */
  async planJson(planId: string): Promise<unknown | null> {
    const response = await this.send('GET', `api/v2/plans/${encodeURIComponent(planId)}/json-output`, undefined, 0);
    if (response.status === 204) return null;
    if (response.status !== 301 && response.status !== 302 && response.status !== 307 && response.status !== 200)
      throw this.failure(response);
    if (response.status === 200) return this.json(response);
    const location = response.headers.location;
    if (!location) throw new TerraformCloudError('Terraform Cloud redirected the plan JSON without a Location', false);
    const target = new URL(location, response.url);
    const allowed = [this.config.url, ...this.config.archivistUrls].some(
      (base) => new URL(base).origin === target.origin,
    );
    if (!allowed)
      throw new TerraformCloudError(
        `Terraform Cloud redirected the plan JSON to ${target.origin}, which is not in terraform.archivistUrls`,
        false,
      );
    let download: OutboundResponse;
    try {
      download = await outboundRequest({
        base: `${target.origin}${target.pathname}`,
        query: target.searchParams,
        method: 'GET',
        headers: { accept: 'application/json' },
        timeoutMs: this.config.requestTimeoutMs,
        maxResponseBytes: this.config.maxPlanBytes,
        maxRedirects: 0,
      });
    } catch (error) {
      throw this.outboundFailure(error);
    }
    if (download.status !== 200) throw this.failure(download);
    return this.json(download);
  }

  private async call(method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> {
    const response = await this.send(method, path, body, 0);
    if (response.status < 200 || response.status > 299) throw this.failure(response);
    return response.text ? this.json(response) : undefined;
  }

  private async send(method: 'GET' | 'POST', path: string, body: unknown, maxRedirects: number) {
    try {
      return await outboundRequest({
        base: this.config.url,
        path,
        method,
        headers: {
          accept: MEDIA_TYPE,
          authorization: `Bearer ${this.config.token}`,
          ...(body !== undefined ? { 'content-type': MEDIA_TYPE } : {}),
        },
        body: body !== undefined ? JSON.stringify(body) : undefined,
        timeoutMs: this.config.requestTimeoutMs,
        maxResponseBytes: MAX_API_RESPONSE_BYTES,
        maxRedirects,
      });
    } catch (error) {
      throw this.outboundFailure(error);
    }
  }

  private json(response: OutboundResponse): unknown {
    try {
      return parsePeerJson(response.text);
    } catch {
      throw new TerraformCloudError(`${describeUrl(response.url)} did not answer JSON`, true, response.status);
    }
  }

  private failure(response: OutboundResponse): TerraformCloudError {
    const where = describeUrl(response.url);
    const detail = response.text ? `: ${apiErrorText(response.text)}` : '';
    const transient = response.status === 429 || response.status >= 500;
    const hint =
      response.status === 401
        ? ' (terraform.token is refused)'
        : response.status === 404
          ? ' (not found, or the token may not see it)'
          : '';
    return new TerraformCloudError(`${where} answered ${response.status}${detail}${hint}`, transient, response.status);
  }

  private outboundFailure(error: unknown): TerraformCloudError {
    if (error instanceof OutboundError) {
      const transient = error.code === 'timeout' || error.code === 'unreachable';
      return new TerraformCloudError(error.message, transient);
    }
    return new TerraformCloudError(error instanceof Error ? error.message : String(error), true);
  }
}
