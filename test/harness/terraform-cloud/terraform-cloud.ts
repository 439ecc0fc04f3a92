// Terraform Cloud / Terraform Enterprise contract harness, written from HashiCorp's API docs
// (developer.hashicorp.com/terraform/cloud-docs/api-docs: runs, run actions, plans, workspaces, the JSON
// plan format). It models the part of the run API a remote-run client uses:
//
// - JSON:API documents (`data: {id, type, attributes, relationships}`, `included` with `?include=`), media
//   type `application/vnd.api+json`; request bodies must be sent with that content type (415 otherwise);
// - `Authorization: Bearer <token>`: none or a wrong token is 401; a resource the token cannot see is 404
//   (HCP Terraform does not tell "unauthorized" from "not found");
// - errors as `{errors: [{status, title, detail?, source?: {pointer}}]}` (422 names the JSON pointer);
// - a run moves through its statuses with time: pending → plan_queued → planning → planned (or
//   cost_estimated / policy_checked when the workspace has those phases), or planned_and_finished when the
//   plan has no changes, or errored; apply: confirmed → apply_queued → applying → applied (or errored);
//   discard → discarded; cancel → canceled. `actions.is-confirmable` / `is-discardable` / `is-cancelable`
//   follow the status, and apply/discard/cancel out of turn are 409;
// - GET /plans/:id/json-output answers 204 before the plan finished, then a 307 to a short-lived URL on a
//   separate archivist server (another origin, no token needed there, as in HCP Terraform);
// - `page[number]`/`page[size]` paging with `meta.pagination` on the workspace's run list, newest first.
//
// Not modelled: configuration versions and uploads (runs use the workspace's current configuration),
// VCS, run triggers, Sentinel/OPA policy details, cost estimate documents, run events, rate-limit headers
// beyond an injected 429, team permissions beyond "the token sees the organizations it was given".
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One resource change a workspace's plan proposes (`resource_changes[]` of the JSON plan). */
export interface PlannedChange {
  address: string;
  /** Terraform's action list: ['create'], ['update'], ['delete'], ['delete','create'], ['create','delete'], ['no-op'], ['read']. */
  actions: string[];
}

/** A workspace and what a run on it does. */
export interface HarnessWorkspace {
  name: string;
  /** What the next plans propose; empty (or only no-op) means planned_and_finished. */
  changes: PlannedChange[];
  /** Phases after the plan that a confirmable run stops in (default: none, so it stops at `planned`). */
  afterPlan?: 'cost_estimated' | 'policy_checked';
  /** The plan fails (errored) with this message. */
  planError?: string;
  /** The apply fails (errored) with this message. */
  applyError?: string;
}

/** How long each phase takes, in ms of the harness clock. */
export interface PhaseDurations {
  queue: number;
  plan: number;
  apply: number;
}

export interface TerraformCloudHarnessOptions {
  token: string;
  /** organization name → its workspaces. */
  organizations: Record<string, HarnessWorkspace[]>;
  phases?: Partial<PhaseDurations>;
  /** Milliseconds since the epoch; default the real clock. */
  now?: () => number;
}

/** A recorded API request. */
export interface HarnessCall {
  method: string;
  path: string;
  status: number;
  authorized: boolean;
  body?: unknown;
}

/** A run as the harness holds it. */
export interface HarnessRun {
  id: string;
  workspaceId: string;
  organization: string;
  message: string;
  variables: Array<{ key: string; value: string }>;
  createdAt: number;
  changes: PlannedChange[];
  afterPlan: HarnessWorkspace['afterPlan'];
  planError?: string;
  applyError?: string;
  planId: string;
  applyId: string;
  confirmedAt?: number;
  /** Set by discard/cancel: the status it ended in and when. */
  stopped?: { status: 'discarded' | 'canceled'; at: number };
  comments: string[];
}

export interface TerraformCloudHarness {
  /** Base URL of the API host (`terraform.url` in visibility's config), e.g. http://127.0.0.1:1234. */
  url: string;
  /** Origin of the archivist host plan JSON is redirected to. */
  archivistUrl: string;
  calls: HarnessCall[];
  runs: HarnessRun[];
  /** The status of a run now. */
  statusOf(runId: string): string;
  /** The next `count` API requests answer `status` (429 or 5xx) before anything else is done. */
  failNext(count: number, status: number): void;
  /** Queues a run as if a client had created it (e.g. a create whose answer was lost); returns its id. */
  addRun(organization: string, workspace: string, message: string): string;
  /** Replaces what the next plans of a workspace propose. */
  setChanges(organization: string, workspace: string, changes: PlannedChange[]): void;
  close(): Promise<void>;
}

const MEDIA_TYPE = 'application/vnd.api+json';

/** Statuses in which a run waits for someone to confirm (apply) or discard it. */
const CONFIRMABLE = new Set(['planned', 'cost_estimated', 'policy_checked']);

const randomId = (prefix: string) => `${prefix}-${randomBytes(12).toString('base64url').replace(/[-_]/g, 'x')}`;

class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail?: string,
    readonly pointer?: string,
  ) {
    super(title);
  }
}

/** Starts the harness (API host and archivist host) on 127.0.0.1. */
export async function startTerraformCloudHarness(
  options: TerraformCloudHarnessOptions,
): Promise<TerraformCloudHarness> {
  const now = options.now ?? Date.now;
  const phases: PhaseDurations = { queue: 50, plan: 200, apply: 200, ...options.phases };
  const workspaces = new Map<string, HarnessWorkspace & { id: string; organization: string }>();
  for (const [organization, list] of Object.entries(options.organizations))
    for (const workspace of list)
      workspaces.set(randomId('ws'), { ...workspace, changes: [...workspace.changes], id: '', organization });
  for (const [id, workspace] of workspaces) workspace.id = id;
  const runs: HarnessRun[] = [];
  const calls: HarnessCall[] = [];
  const archive = new Map<string, { runId: string; expiresAt: number }>();
  let failures: { count: number; status: number } = { count: 0, status: 0 };

  const hasChanges = (run: HarnessRun) =>
    run.changes.some((change) => !change.actions.every((action) => action === 'no-op' || action === 'read'));

  function statusOf(run: HarnessRun, at = now()): string {
    if (run.stopped && run.stopped.at <= at) return run.stopped.status;
    const elapsed = at - run.createdAt;
    if (elapsed < phases.queue / 2) return 'pending';
    if (elapsed < phases.queue) return 'plan_queued';
    if (elapsed < phases.queue + phases.plan) return 'planning';
    if (run.planError) return 'errored';
    if (!hasChanges(run)) return 'planned_and_finished';
    if (run.confirmedAt === undefined) return run.afterPlan ?? 'planned';
    const applying = at - run.confirmedAt;
    if (applying < phases.queue / 2) return 'confirmed';
    if (applying < phases.queue) return 'apply_queued';
    if (applying < phases.queue + phases.apply) return 'applying';
    return run.applyError ? 'errored' : 'applied';
  }

  const planStatus = (run: HarnessRun, status: string) =>
    ['pending', 'plan_queued'].includes(status)
      ? status === 'pending'
        ? 'pending'
        : 'queued'
      : status === 'planning'
        ? 'running'
        : run.planError
          ? 'errored'
          : run.stopped && !hasPlanFinished(run)
            ? 'canceled'
            : 'finished';

  /** The plan finished cleanly: its time passed, it did not fail, and the run was not stopped before. */
  const hasPlanFinished = (run: HarnessRun) => {
    const planEnd = run.createdAt + phases.queue + phases.plan;
    return now() >= planEnd && !run.planError && (!run.stopped || run.stopped.at >= planEnd);
  };

  const counts = (run: HarnessRun) => ({
    'resource-additions': run.changes.filter((change) => change.actions.includes('create')).length,
    'resource-changes': run.changes.filter((change) => change.actions.includes('update')).length,
    'resource-destructions': run.changes.filter((change) => change.actions.includes('delete')).length,
    'resource-imports': 0,
  });

  function runJson(run: HarnessRun) {
    const status = statusOf(run);
    const finished = hasPlanFinished(run);
    return {
      id: run.id,
      type: 'runs',
      attributes: {
        status,
        message: run.message,
        source: 'tfe-api',
        'auto-apply': false,
        'is-destroy': false,
        'plan-only': false,
        'has-changes': finished && hasChanges(run),
        'created-at': new Date(run.createdAt).toISOString(),
        'error-text': status === 'errored' ? (run.planError ?? run.applyError ?? null) : null,
        variables: run.variables,
        'status-timestamps': statusTimestamps(run),
        actions: {
          'is-cancelable': ['pending', 'plan_queued', 'planning', 'confirmed', 'apply_queued', 'applying'].includes(
            status,
          ),
          'is-confirmable': CONFIRMABLE.has(status),
          'is-discardable': CONFIRMABLE.has(status) || status === 'pending',
          'is-force-cancelable': false,
        },
      },
      relationships: {
        workspace: { data: { id: run.workspaceId, type: 'workspaces' } },
        plan: { data: { id: run.planId, type: 'plans' }, links: { related: `/api/v2/runs/${run.id}/plan` } },
        apply: { data: { id: run.applyId, type: 'applies' }, links: { related: `/api/v2/runs/${run.id}/apply` } },
      },
      links: { self: `/api/v2/runs/${run.id}` },
    };
  }

  function statusTimestamps(run: HarnessRun): Record<string, string> {
    const at = (ms: number) => new Date(ms).toISOString();
    const stamps: Record<string, string> = {};
    const elapsed = now() - run.createdAt;
    stamps['plan-queueable-at'] = at(run.createdAt);
    if (elapsed >= phases.queue) stamps['planning-at'] = at(run.createdAt + phases.queue);
    if (elapsed >= phases.queue + phases.plan)
      stamps[run.planError ? 'errored-at' : 'planned-at'] = at(run.createdAt + phases.queue + phases.plan);
    if (run.confirmedAt !== undefined) stamps['confirmed-at'] = at(run.confirmedAt);
    if (run.stopped) stamps[`${run.stopped.status}-at`] = at(run.stopped.at);
    return stamps;
  }

  function planJson(run: HarnessRun) {
    const status = statusOf(run);
    return {
      id: run.planId,
      type: 'plans',
      attributes: {
        status: planStatus(run, status),
        'has-changes': hasPlanFinished(run) && hasChanges(run),
        ...(hasPlanFinished(run) ? counts(run) : {}),
        'execution-details': { mode: 'remote' },
      },
      relationships: { run: { data: { id: run.id, type: 'runs' } } },
      links: { self: `/api/v2/plans/${run.planId}`, 'json-output': `/api/v2/plans/${run.planId}/json-output` },
    };
  }

  function workspaceJson(workspace: HarnessWorkspace & { id: string; organization: string }) {
    return {
      id: workspace.id,
      type: 'workspaces',
      attributes: { name: workspace.name, 'auto-apply': false, locked: false, 'execution-mode': 'remote' },
      relationships: { organization: { data: { id: workspace.organization, type: 'organizations' } } },
      links: { self: `/api/v2/organizations/${workspace.organization}/workspaces/${workspace.name}` },
    };
  }

  /** The JSON plan (`terraform show -json` format) of a run. */
  function jsonPlan(run: HarnessRun) {
    return {
      format_version: '1.2',
      terraform_version: '1.9.5',
      resource_changes: run.changes.map((change) => {
        const [module, rest] = splitModule(change.address);
        const [type, name] = rest.split('.');
        return {
          address: change.address,
          ...(module ? { module_address: module } : {}),
          mode: rest.startsWith('data.') ? 'data' : 'managed',
          type,
          name,
          provider_name: `registry.terraform.io/hashicorp/${(type ?? '').split('_')[0]}`,
          change: {
            actions: change.actions,
            before: change.actions.includes('create') && change.actions.length === 1 ? null : {},
            after: change.actions.includes('delete') && change.actions.length === 1 ? null : {},
          },
        };
      }),
      output_changes: {},
    };
  }

  const findRun = (id: string) => {
    const run = runs.find((candidate) => candidate.id === id);
    if (!run) throw new ApiError(404, 'not found');
    return run;
  };

  function route(method: string, path: string, query: URLSearchParams, body: unknown): [number, unknown] {
    let match: RegExpExecArray | null;
    if (method === 'GET' && (match = /^\/api\/v2\/organizations\/([^/]+)\/workspaces\/([^/]+)$/.exec(path))) {
      const [organization, name] = [decodeURIComponent(match[1]!), decodeURIComponent(match[2]!)];
      const workspace = [...workspaces.values()].find((ws) => ws.organization === organization && ws.name === name);
      if (!workspace) throw new ApiError(404, 'not found');
      return [200, { data: workspaceJson(workspace) }];
    }
    if (method === 'GET' && (match = /^\/api\/v2\/workspaces\/([^/]+)\/runs$/.exec(path))) {
      if (!workspaces.has(match[1]!)) throw new ApiError(404, 'not found');
      const size = Math.min(Number(query.get('page[size]') ?? 20) || 20, 100);
      const number = Math.max(Number(query.get('page[number]') ?? 1) || 1, 1);
      const all = runs.filter((run) => run.workspaceId === match![1]).reverse();
      const page = all.slice((number - 1) * size, number * size);
      const totalPages = Math.max(1, Math.ceil(all.length / size));
      return [
        200,
        {
          data: page.map(runJson),
          meta: {
            pagination: {
              'current-page': number,
              'page-size': size,
              'prev-page': number > 1 ? number - 1 : null,
              'next-page': number < totalPages ? number + 1 : null,
              'total-pages': totalPages,
              'total-count': all.length,
            },
          },
        },
      ];
    }
    if (method === 'POST' && path === '/api/v2/runs') return createRun(body);
    if (method === 'GET' && (match = /^\/api\/v2\/runs\/([^/]+)$/.exec(path))) {
      const run = findRun(match[1]!);
      const include = (query.get('include') ?? '').split(',').filter(Boolean);
      const included = include.flatMap((name): unknown[] => {
        if (name === 'plan') return [planJson(run)];
        if (name === 'workspace') return [workspaceJson(workspaces.get(run.workspaceId)!)];
        if (name === 'apply') return [];
        throw new ApiError(400, 'Invalid include parameter', `${name} is not a valid relationship`);
      });
      return [200, { data: runJson(run), ...(include.length ? { included } : {}) }];
    }
    if (method === 'GET' && (match = /^\/api\/v2\/plans\/([^/]+)$/.exec(path))) {
      const run = runs.find((candidate) => candidate.planId === match![1]);
      if (!run) throw new ApiError(404, 'not found');
      return [200, { data: planJson(run) }];
    }
    if (method === 'GET' && (match = /^\/api\/v2\/plans\/([^/]+)\/json-output$/.exec(path))) {
      const run = runs.find((candidate) => candidate.planId === match![1]);
      if (!run) throw new ApiError(404, 'not found');
      if (!hasPlanFinished(run)) return [204, undefined];
      const key = randomBytes(16).toString('hex');
      archive.set(key, { runId: run.id, expiresAt: now() + 60_000 });
      return [307, { location: `${archivistUrl}/v1/object/${key}` }];
    }
    if (method === 'POST' && (match = /^\/api\/v2\/runs\/([^/]+)\/actions\/(apply|discard|cancel)$/.exec(path))) {
      const run = findRun(match[1]!);
      const status = statusOf(run);
      const comment = (body as { comment?: unknown } | undefined)?.comment;
      if (comment !== undefined && typeof comment !== 'string')
        throw new ApiError(422, 'invalid attribute', 'comment must be a string', '/comment');
      const action = match[2]!;
      if (action === 'apply') {
        if (!CONFIRMABLE.has(status))
          throw new ApiError(409, 'transition not allowed', 'Run was not paused for confirmation; apply not allowed');
        run.confirmedAt = now();
      } else if (action === 'discard') {
        if (!CONFIRMABLE.has(status) && status !== 'pending')
          throw new ApiError(409, 'transition not allowed', 'Run was not paused for confirmation; discard not allowed');
        run.stopped = { status: 'discarded', at: now() };
      } else {
        if (!['pending', 'plan_queued', 'planning', 'confirmed', 'apply_queued', 'applying'].includes(status))
          throw new ApiError(409, 'transition not allowed', 'Run is not in a cancelable state');
        run.stopped = { status: 'canceled', at: now() };
      }
      if (typeof comment === 'string') run.comments.push(comment);
      return [202, undefined];
    }
    throw new ApiError(404, 'not found');
  }

  function createRun(body: unknown): [number, unknown] {
    const data = (body as { data?: Record<string, unknown> } | undefined)?.data;
    if (!data || typeof data !== 'object') throw new ApiError(422, 'invalid attribute', 'data is missing', '/data');
    if (data.type !== 'runs') throw new ApiError(409, 'conflict', 'data.type must be "runs"', '/data/type');
    const attributes = (data.attributes ?? {}) as Record<string, unknown>;
    const workspaceId = (data.relationships as { workspace?: { data?: { id?: unknown } } } | undefined)?.workspace?.data
      ?.id;
    if (typeof workspaceId !== 'string')
      throw new ApiError(422, 'invalid attribute', 'Workspace is required', '/data/relationships/workspace');
    const workspace = workspaces.get(workspaceId);
    if (!workspace) throw new ApiError(404, 'not found');
    if (attributes['auto-apply'] !== undefined && typeof attributes['auto-apply'] !== 'boolean')
      throw new ApiError(422, 'invalid attribute', 'auto-apply must be a boolean', '/data/attributes/auto-apply');
    if (attributes['auto-apply'] === true)
      throw new ApiError(
        422,
        'invalid attribute',
        'the harness only models confirmed applies',
        '/data/attributes/auto-apply',
      );
    const variables = attributes.variables ?? [];
    if (!Array.isArray(variables))
      throw new ApiError(422, 'invalid attribute', 'variables must be an array', '/data/attributes/variables');
    variables.forEach((variable: unknown, index) => {
      const { key, value } = (variable ?? {}) as { key?: unknown; value?: unknown };
      if (typeof key !== 'string' || !/^[A-Za-z_][\w-]*$/.test(key) || typeof value !== 'string')
        throw new ApiError(
          422,
          'invalid attribute',
          'each variable needs a key and an HCL value string',
          `/data/attributes/variables/${index}`,
        );
      if (!isHclLiteral(value))
        throw new ApiError(
          422,
          'invalid attribute',
          `value of ${key} is not valid HCL`,
          `/data/attributes/variables/${index}/value`,
        );
    });
    const message =
      typeof attributes.message === 'string' ? attributes.message : 'Queued manually via the Terraform Enterprise API';
    const run: HarnessRun = {
      id: randomId('run'),
      workspaceId,
      organization: workspace.organization,
      message,
      variables: variables as HarnessRun['variables'],
      createdAt: now(),
      changes: workspace.changes.map((change) => ({ ...change, actions: [...change.actions] })),
      afterPlan: workspace.afterPlan,
      planError: workspace.planError,
      applyError: workspace.applyError,
      planId: randomId('plan'),
      applyId: randomId('apply'),
      comments: [],
    };
    runs.push(run);
    return [201, { data: runJson(run) }];
  }

  const send = (res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { ...(body === undefined ? {} : { 'content-type': MEDIA_TYPE }), ...headers });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };

  const api = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://tfc.invalid');
      const method = req.method ?? 'GET';
      const authorized = req.headers.authorization === `Bearer ${options.token}`;
      const text = Buffer.concat(chunks).toString('utf8');
      const call: HarnessCall = { method, path: url.pathname, status: 0, authorized };
      calls.push(call);
      const reply = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        call.status = status;
        send(res, status, body, headers);
      };
      const error = (e: ApiError) =>
        reply(e.status, {
          errors: [
            {
              status: String(e.status),
              title: e.title,
              ...(e.detail ? { detail: e.detail } : {}),
              ...(e.pointer ? { source: { pointer: e.pointer } } : {}),
            },
          ],
        });
      if (failures.count > 0) {
        failures.count -= 1;
        const status = failures.status;
        return status === 429
          ? reply(
              429,
              { errors: [{ status: '429', title: 'Too many requests' }] },
              { 'x-ratelimit-limit': '30', 'x-ratelimit-remaining': '0', 'x-ratelimit-reset': '0.2' },
            )
          : reply(status, { errors: [{ status: String(status), title: 'service unavailable' }] });
      }
      if (!authorized) return error(new ApiError(401, 'unauthorized'));
      let body: unknown;
      if (text) {
        const type = (req.headers['content-type'] ?? '').split(';', 1)[0]!.trim().toLowerCase();
        if (type !== MEDIA_TYPE)
          return error(new ApiError(415, 'unsupported media type', `Content-Type must be ${MEDIA_TYPE}`));
        try {
          body = JSON.parse(text);
        } catch {
          return error(new ApiError(400, 'JSON body is invalid'));
        }
        call.body = body;
      }
      try {
        const [status, answer] = route(method, url.pathname, url.searchParams, body);
        if (status === 307) {
          call.status = 307;
          res.writeHead(307, { location: (answer as { location: string }).location });
          return res.end();
        }
        reply(status, answer);
      } catch (caught) {
        if (caught instanceof ApiError) return error(caught);
        reply(500, { errors: [{ status: '500', title: 'internal error' }] });
      }
    });
  });

  const archivist = http.createServer((req, res) => {
    const match = /^\/v1\/object\/([0-9a-f]+)$/.exec(new URL(req.url ?? '/', 'http://archivist.invalid').pathname);
    const entry = match ? archive.get(match[1]!) : undefined;
    if (!entry || entry.expiresAt < now()) {
      res.writeHead(404, { 'content-type': 'text/plain' });
      return res.end('not found');
    }
    const run = findRun(entry.runId);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify(jsonPlan(run)));
  });

  const listen = (server: http.Server) =>
    new Promise<string>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`)),
    );
  const url = await listen(api);
  const archivistUrl = await listen(archivist);

  return {
    url,
    archivistUrl,
    calls,
    runs,
    statusOf: (runId) => statusOf(findRun(runId)),
    failNext(count, status) {
      failures = { count, status };
    },
    addRun(organization, name, message) {
      const workspace = [...workspaces.values()].find((ws) => ws.organization === organization && ws.name === name);
      if (!workspace) throw new Error(`no workspace ${organization}/${name}`);
      const [, answer] = createRun({
        data: {
          type: 'runs',
          attributes: { message, 'auto-apply': false },
          relationships: { workspace: { data: { type: 'workspaces', id: workspace.id } } },
        },
      });
      return (answer as { data: { id: string } }).data.id;
    },
    setChanges(organization, name, changes) {
      const workspace = [...workspaces.values()].find((ws) => ws.organization === organization && ws.name === name);
      if (!workspace) throw new Error(`no workspace ${organization}/${name}`);
      workspace.changes = changes;
    },
    async close() {
      await Promise.all(
        [api, archivist].map(
          (server) =>
            new Promise<void>((resolve) => {
              server.closeAllConnections();
              server.close(() => resolve());
            }),
        ),
      );
    },
  };
}

/** `module.a.module.b.aws_x.y` → ['module.a.module.b', 'aws_x.y']. */
function splitModule(address: string): [string | undefined, string] {
  const parts = address.split('.');
  let index = 0;
  while (parts[index] === 'module') index += 2;
  return index ? [parts.slice(0, index).join('.'), parts.slice(index).join('.')] : [undefined, address];
}

/**
 * The HCL literals a run variable's value may be: a quoted string, a number, a boolean, null, or a
 * list/object written in JSON form (HCL accepts JSON syntax for these). Run variables are HCL source.
 */
function isHclLiteral(value: string): boolean {
  const trimmed = value.trim();
  if (/^(true|false|null)$/.test(trimmed) || /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(trimmed)) return true;
  try {
    JSON.parse(trimmed);
    return /^["[{]/.test(trimmed);
  } catch {
    return false;
  }
}
