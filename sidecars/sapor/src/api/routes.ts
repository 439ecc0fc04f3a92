// HTTP routes: policy management, the OPA-compatible Data API, the pipeline check and the policy gate.
import {
  InputError,
  NotAllowedError,
  NotFoundError,
  applicationScope,
  canAccessApplication,
  nextPageCursor,
  isAdmin,
  requireApplicationRead,
  type Caller,
  type HttpApp,
  type UserWriteBudget,
  parseJson,
} from '@isd/kit';
import { z } from 'zod';
import { checkSegments, documentRef, parseDocumentPath } from '../domain/paths';
import type { PolicyService } from '../policy-service';
import type { LoadReport } from '../loaders/directory';
import { MAX_KEPT_INPUT_BYTES, type PolicyStore } from '../store/policy-store';
import { exactJsonReply, presentGate, presentPolicy } from './present';
import type { InputText } from '../engine/jobs';
import { JSONSyntaxError, parseJSONText, RawJSON, valueToExactJSON } from '@isd/rego';
import {
  checkPolicySchema,
  createPolicyGateSchema,
  dataQuerySchema,
  dataRequestSchema,
  dataResponseSchema,
  policyGateInputSchema,
  policyGateListQuery,
  opsmxStaticSchema,
  pipelineCheckResultSchema,
  pipelineCheckSchema,
  policyGateSchema,
  policyCheckResultSchema,
  policyNameSchema,
  policyVersionSchema,
  savePolicySchema,
} from './schemas';

/** What the routes need. */
export interface RouteDependencies {
  http: HttpApp;
  service: PolicyService;
  store: PolicyStore;
  adminRoles: string[];
  /** Each user's stored rows per minute (userWrites.perMinute). */
  writes: UserWriteBudget;
  /** Reloads the directory / git sources; undefined when none is configured. */
  reload: (() => Promise<Record<string, LoadReport>>) | undefined;
}

const nameParams = z.object({ name: policyNameSchema });

/** Routes that store rows for a user answer 429 past the user's budget. */
export const WRITE_LIMIT_RESPONSE = {
  description:
    'the user has its limit of requests in flight (server.userInFlightLimit) or stored userWrites.perMinute rows this minute; retry after Retry-After seconds',
};

/** Policy admins: Fiat admins and holders of one of `adminRoles` (Orca counts as one for reads). */
function isPolicyAdmin(caller: Caller, adminRoles: string[]): boolean {
  if (isAdmin(caller)) return true;
  if (caller.kind !== 'user') return false;
  const roles = new Set(caller.roles.map((role) => role.toLowerCase()));
  return adminRoles.some((role) => roles.has(role.toLowerCase()));
}

/**
 * Policies are owned by the policy admins and gate every application: their sources, versions and
 * ad-hoc checks are for admins, Orca and users who may READ some application (whose deploys they gate).
 * A user with no application gets the same 404 as for a policy that does not exist.
 */
function requirePolicyReader(caller: Caller, adminRoles: string[], what: string): void {
  if (isPolicyAdmin(caller, adminRoles)) return;
  const scope = applicationScope(caller);
  if (scope.all || scope.readable.length > 0 || scope.othersReadable) return;
  throw new NotFoundError(`${what} does not exist`, { code: 'policy_not_found' });
}

/** The Data API evaluates any document on any input: Orca and policy admins only. */
function requireDataApiCaller(caller: Caller, adminRoles: string[]): void {
  if (!isPolicyAdmin(caller, adminRoles))
    throw new NotAllowedError(
      `${caller.kind === 'user' ? caller.user : 'the caller'} may not use the Data API: it is for Orca and policy admins`,
      { code: 'not_policy_admin' },
    );
}

function requireAdmin(caller: Caller, adminRoles: string[]): string {
  if (caller.kind !== 'user')
    throw new NotAllowedError(
      'the service token cannot change policies: a user with a policy admin role must, through Gate',
      { code: 'not_policy_admin' },
    );
  if (!isPolicyAdmin(caller, adminRoles)) {
    throw new NotAllowedError(
      `${caller.user} may not change policies: needs one of the roles ${adminRoles.join(', ')}`,
      { code: 'not_policy_admin' },
    );
  }
  return caller.user;
}

/** The `input` member of a Data API body's text (none without a body). */
function inputMember(bodyText: string | undefined): InputText | undefined {
  return bodyText === undefined ? undefined : { text: bodyText, member: 'input' };
}

/** `?input=` as text, once parseInputParameter has checked it is JSON. */
function inputParameterText(text: string | undefined): InputText | undefined {
  return text === undefined ? undefined : { text };
}

/**
 * The body as JSON data read from its text, its numbers keeping their texts (NumberText, bigint) as the
 * policy must see them: the parts of it that become an input are taken from here. The kit has checked the
 * same text against the route's schema, so it has the shape `body` has. What the engine cannot hold (a
 * number beyond its range such as `1e99999`, nesting deeper than Go's 10,000 levels) is the caller's 400.
 */
function exactBody(rawBody: string | undefined, body: unknown): Record<string, unknown> {
  if (rawBody === undefined) return body as Record<string, unknown>;
  try {
    return valueToExactJSON(parseJSONText(rawBody)) as Record<string, unknown>;
  } catch (error) {
    if (!(error instanceof JSONSyntaxError)) throw error;
    throw new InputError(`body: ${error.message}: a policy cannot read it`, {
      code: 'eval_invalid_input',
      issues: [{ path: 'body', message: error.message }],
    });
  }
}

function parseInputParameter(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return parseJson(text);
  } catch (error) {
    throw new InputError(`query.input: not valid JSON: ${(error as Error).message}`, {
      code: 'malformed_json',
      issues: [{ path: 'query.input', message: 'not valid JSON' }],
    });
  }
}

/** Registers every sapor route on the kit's HTTP app. */
export function registerRoutes({ http, service, store, adminRoles, writes, reload }: RouteDependencies): void {
  // ---- policy management -------------------------------------------------------------------------
  http.route(
    {
      method: 'get',
      path: '/api/v1/policies',
      summary: 'Lists the live policies (current versions, without sources)',
      tags: ['policies'],
      auth: 'service-or-user',
      responses: {
        200: {
          description: 'live policies and the revision of the bundle they form',
          schema: z.object({ revision: z.number().int(), policies: z.array(policyVersionSchema) }),
        },
      },
    },
    async () => {
      const bundle = await store.active();
      return {
        status: 200,
        body: { revision: bundle.revision, policies: bundle.policies.map((policy) => presentPolicy(policy, false)) },
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/policies/:name',
      summary: 'The current version of a policy, with its sources',
      tags: ['policies'],
      auth: 'service-or-user',
      params: nameParams,
      responses: {
        200: { description: 'the policy', schema: policyVersionSchema },
        404: { description: 'no such live policy' },
      },
    },
    async ({ params, caller }) => {
      requirePolicyReader(caller, adminRoles, `policy ${params.name}`);
      const policy = await store.current(params.name);
      if (!policy) throw new NotFoundError(`policy ${params.name} does not exist`, { code: 'policy_not_found' });
      return { status: 200, body: presentPolicy(policy, true) };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/policies/:name/versions',
      summary: 'Every saved version of a policy, newest first',
      tags: ['policies'],
      auth: 'service-or-user',
      params: nameParams,
      responses: {
        200: { description: 'versions', schema: z.object({ versions: z.array(policyVersionSchema) }) },
        404: { description: 'never saved' },
      },
    },
    async ({ params, caller }) => {
      requirePolicyReader(caller, adminRoles, `policy ${params.name}`);
      const versions = await store.versions(params.name);
      if (!versions.length)
        throw new NotFoundError(`policy ${params.name} was never saved`, { code: 'policy_not_found' });
      return { status: 200, body: { versions: versions.map((version) => presentPolicy(version, false)) } };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/policies/:name/versions/:version',
      summary: 'One saved version of a policy, with its sources',
      tags: ['policies'],
      auth: 'service-or-user',
      // Versions are Postgres integers: a larger number is no version, not a database error.
      params: z.object({ name: policyNameSchema, version: z.coerce.number().int().positive().max(2_147_483_647) }),
      responses: {
        200: { description: 'the version', schema: policyVersionSchema },
        404: { description: 'no such version' },
      },
    },
    async ({ params, caller }) => {
      requirePolicyReader(caller, adminRoles, `policy ${params.name}`);
      const version = await store.version(params.name, params.version);
      if (!version)
        throw new NotFoundError(`policy ${params.name} has no version ${params.version}`, {
          code: 'policy_version_not_found',
        });
      return { status: 200, body: presentPolicy(version, true) };
    },
  );

  http.route(
    {
      method: 'put',
      path: '/api/v1/policies/:name',
      summary: 'Saves a new version of a policy after parsing, compiling and running its test_* rules (admin role)',
      tags: ['policies'],
      // The service token is authenticated so it hears why it may not (403), not a Gate error.
      auth: 'service-or-user',
      params: nameParams,
      body: savePolicySchema,
      responses: {
        201: { description: 'a new version was saved', schema: policyVersionSchema },
        200: { description: 'identical to the current version; nothing saved', schema: policyVersionSchema },
        400: { description: 'parse or compile error (file, line, column, what was expected) or a failing test, named' },
        403: { description: 'not a policy admin' },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ params, body, caller }) => {
      const user = requireAdmin(caller, adminRoles);
      await writes.spend(caller);
      const modules = body.modules ?? [{ name: 'policy.rego', source: body.source ?? '' }];
      const saved = await service.save({
        name: params.name,
        regoVersion: body.regoVersion,
        modules,
        description: body.description,
        origin: 'api',
        createdBy: user,
      });
      return {
        status: saved.created ? 201 : 200,
        body: { ...presentPolicy(saved.version, true), testsPassed: saved.tests },
        headers: { Location: `/api/v1/policies/${params.name}/versions/${saved.version.version}` },
      };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/policies/:name/check',
      summary: 'Checks a policy as a save would (parse, compile with the live set, run its tests) without saving it',
      tags: ['policies'],
      auth: 'service-or-user',
      params: nameParams,
      body: checkPolicySchema,
      responses: {
        200: {
          description: '`passed`, every test with its outcome, and with `input` the evaluated document',
          schema: policyCheckResultSchema,
        },
        400: { description: 'parse or compile error (file, line, column, expected)' },
      },
    },
    async ({ params, body, caller, rawBody }) => {
      requirePolicyReader(caller, adminRoles, `policy ${params.name}`);
      const modules = body.modules ?? [{ name: 'policy.rego', source: body.source ?? '' }];
      const document = body.query === undefined ? undefined : documentRef(parseDocumentPath(body.query, 'body.query'));
      // The input is read from the body's text, so its numbers keep their texts as in the Data API.
      const evaluate =
        body.input === undefined || rawBody === undefined
          ? undefined
          : { input: { text: rawBody, member: 'input' as const }, ...(document ? { document } : {}) };
      const result = await service.check(
        { name: params.name, regoVersion: body.regoVersion, modules },
        evaluate,
        caller.kind === 'user' ? caller.user : undefined,
      );
      const { evaluation } = result;
      return exactJsonReply(200, {
        passed: result.tests.every((test) => test.passed),
        packages: result.packages,
        tests: result.tests,
        ...(evaluation
          ? {
              evaluation: {
                ...evaluation,
                ...(evaluation.result === undefined ? {} : { result: new RawJSON(evaluation.result) }),
              },
            }
          : {}),
      });
    },
  );

  http.route(
    {
      method: 'delete',
      path: '/api/v1/policies/:name',
      summary:
        'Deletes a policy; its versions stay readable (the newest always, older ones until retention.days) (admin role)',
      tags: ['policies'],
      auth: 'service-or-user',
      params: nameParams,
      responses: {
        204: { description: 'deleted' },
        403: { description: 'not a policy admin' },
        404: { description: 'no such live policy' },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ params, caller }) => {
      requireAdmin(caller, adminRoles);
      await writes.spend(caller);
      await service.remove(params.name);
      return { status: 204 };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/policies/reload',
      summary: 'Reloads policies from the configured directory and git repository (admin role or service)',
      tags: ['policies'],
      auth: 'service-or-user',
      responses: {
        200: { description: 'what was saved, unchanged, removed or refused, per source' },
        404: { description: 'no source configured' },
        429: WRITE_LIMIT_RESPONSE,
      },
    },
    async ({ caller }) => {
      if (caller.kind === 'user') requireAdmin(caller, adminRoles);
      if (!reload)
        throw new NotFoundError('no policy directory or git repository is configured', { code: 'no_policy_source' });
      await writes.spend(caller);
      return { status: 200, body: await reload() };
    },
  );

  // ---- save-time check -----------------------------------------------------------------------------
  http.route(
    {
      method: 'post',
      path: '/api/v1/policies/pipeline-check',
      summary:
        "Save-time check of a pipeline config: every deny of the static packages (Armory's opa.pipelines, OpsMx static input)",
      tags: ['checks'],
      auth: 'service-or-user',
      body: pipelineCheckSchema,
      responses: {
        200: { description: 'allow, or deny with the messages', schema: pipelineCheckResultSchema },
        429: WRITE_LIMIT_RESPONSE,
        503: {
          description: "the evaluation queue, or the caller's share of it (policy.workers.perCallerLimit), is full",
        },
      },
    },
    async ({ body, caller, rawBody }) => {
      // A user checks a pipeline of an application they may see; Orca and admins any.
      if (!isPolicyAdmin(caller, adminRoles)) {
        const application = body.new.application;
        if (typeof application !== 'string' || application === '')
          throw new InputError('body.new.application: a pipeline config names its application', {
            code: 'validation_failed',
            issues: [{ path: 'body.new.application', message: 'required' }],
          });
        requireApplicationRead(caller, application, `application ${application}`);
      }
      await writes.spend(caller, service.rowsPerPipelineCheck);
      const user = caller.kind === 'user' ? caller.user : undefined;
      const exact = exactBody(rawBody, body);
      return { status: 200, body: await service.pipelineCheck(exact.new, exact.current ?? undefined, user) };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/v1/staticPolicy/eval',
      summary: 'OpsMx Front50 validator compatibility: 200 when allowed, 401 with the deny messages otherwise',
      tags: ['checks'],
      auth: 'service',
      body: opsmxStaticSchema,
      responses: {
        200: { description: 'allowed' },
        401: { description: 'denied; body carries deny[]' },
        503: { description: 'the evaluation queue is full' },
      },
    },
    async ({ body, rawBody }) => {
      const { input } = exactBody(rawBody, body) as { input: Record<string, unknown> };
      const result = await service.pipelineCheck(input.new, input.current ?? undefined);
      return {
        status: result.status === 'allow' ? 200 : 401,
        body: { deny: result.messages, decision_id: result.decisionId },
      };
    },
  );

  // ---- runtime gate --------------------------------------------------------------------------------
  http.route(
    {
      method: 'post',
      path: '/api/v1/policy-gates',
      summary: 'Policy gate (Orca): evaluates the named policy on a server-built input and stores the decision',
      tags: ['gates'],
      auth: 'service',
      rejectUnresolvedExpressions: true,
      body: createPolicyGateSchema,
      responses: {
        202: { description: 'decided; Location is the decision', schema: policyGateSchema },
        400: { description: 'a field is missing, invalid or an unresolved SpEL expression' },
      },
    },
    async ({ body, rawBody }) => {
      const { params } = exactBody(rawBody, body);
      const { gate } = await service.decideGate({
        application: body.application,
        pipelineName: body.pipelineName ?? null,
        pipelineId: body.pipelineId ?? null,
        executionId: body.executionId,
        stageId: body.stageId,
        triggeredBy: body.triggeredBy ?? null,
        policy: body.policy,
        params: (params as Record<string, unknown> | null | undefined) ?? null,
      });
      return { status: 202, body: presentGate(gate), headers: { Location: `/api/v1/policy-gates/${gate.id}` } };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/policy-gates',
      summary: "An application's runtime gate decisions, newest first, filtered and keyset-paged (`next` cursor)",
      tags: ['gates'],
      auth: 'service-or-user',
      query: policyGateListQuery,
      responses: {
        200: {
          description: '`{gates, next}`; inputs are read one at a time from `/api/v1/policy-gates/{id}/input`',
          schema: z.object({ gates: z.array(policyGateSchema), next: z.string().nullable() }),
        },
        400: { description: 'a filter is malformed (the message names it)' },
        404: { description: 'the caller may not READ the application' },
      },
    },
    async ({ query, caller }) => {
      if (query.from && query.to && query.from >= query.to)
        throw new InputError('query.from: must be before query.to', {
          code: 'invalid_range',
          issues: [{ path: 'query.from', message: 'must be before query.to' }],
        });
      requireApplicationRead(caller, query.application, `application ${query.application}`);
      const rows = await store.listGates({
        application: query.application,
        status: query.status,
        policy: query.policy,
        pipeline: query.pipeline,
        from: query.from,
        to: query.to,
        after: query.cursor,
        limit: query.limit,
      });
      return {
        status: 200,
        body: {
          gates: rows.map(presentGate),
          next: nextPageCursor(rows, query.limit),
        },
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/policy-gates/:id/input',
      summary: 'The input a runtime gate was decided on (secrets removed), for READ on its application',
      tags: ['gates'],
      auth: 'service-or-user',
      params: z.object({ id: z.uuid() }),
      responses: {
        200: { description: 'the input, or null with the reason it is not kept', schema: policyGateInputSchema },
        404: { description: 'no such gate' },
      },
    },
    async ({ params, caller }) => {
      const gate = await store.gate(params.id);
      const kept = gate && canAccessApplication(caller, gate.application, 'READ') && (await store.gateInput(params.id));
      if (!kept) throw new NotFoundError(`policy gate ${params.id} does not exist`, { code: 'policy_gate_not_found' });
      const omitted =
        kept.input !== null
          ? null
          : kept.inputBytes === null
            ? 'the gate was decided before sapor kept inputs, or its input could not be built'
            : kept.inputBytes <= MAX_KEPT_INPUT_BYTES
              ? `the input is kept as long as the decision log (policy.decisionLogRetentionDays); its digest is ${gate.inputDigest}`
              : `the input was ${kept.inputBytes} bytes, more than the ${MAX_KEPT_INPUT_BYTES} sapor keeps; its digest is ${gate.inputDigest}`;
      return exactJsonReply(200, { id: params.id, input: kept.input, inputBytes: kept.inputBytes, omitted });
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/policy-gates/:id',
      summary: "A gate's decision: status allow|deny, messages, policy name and version, decision id",
      tags: ['gates'],
      auth: 'service-or-user',
      params: z.object({ id: z.uuid() }),
      responses: {
        200: { description: 'the decision', schema: policyGateSchema },
        404: { description: 'no such gate' },
      },
    },
    async ({ params, caller }) => {
      const gate = await store.gate(params.id);
      if (!gate || !canAccessApplication(caller, gate.application, 'READ'))
        throw new NotFoundError(`policy gate ${params.id} does not exist`, { code: 'policy_gate_not_found' });
      return { status: 200, body: presentGate(gate) };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/decisions/:id',
      summary: 'One decision log entry: input digest, result, policy versions, duration',
      tags: ['decisions'],
      auth: 'service-or-user',
      params: z.object({ id: z.uuid() }),
      responses: { 200: { description: 'the decision' }, 404: { description: 'no such decision' } },
    },
    async ({ params, caller }) => {
      // Decisions of a gate are seen with READ on its application; others (Data API, checks) by admins.
      if (!isPolicyAdmin(caller, adminRoles)) {
        const application = await store.applicationOfDecision(params.id);
        if (application === undefined || !canAccessApplication(caller, application, 'READ'))
          throw new NotFoundError(`decision ${params.id} does not exist`, { code: 'decision_not_found' });
      }
      const decision = await store.decision(params.id);
      if (!decision) throw new NotFoundError(`decision ${params.id} does not exist`, { code: 'decision_not_found' });
      return exactJsonReply(200, decision);
    },
  );

  // ---- OPA Data API --------------------------------------------------------------------------------
  // The input also goes to the engine as the client's text, so that its numbers keep their text as in OPA.
  const evaluateData = async (
    caller: Caller,
    segments: string[],
    input: unknown,
    inputText: InputText | undefined,
    query: Record<string, unknown>,
  ) => {
    requireDataApiCaller(caller, adminRoles);
    await writes.spend(caller);
    const started = process.hrtime.bigint();
    const evaluation = await service.evaluate('data-api', checkSegments(segments, 'path'), input, {
      strictBuiltinErrors: query['strict-builtin-errors'] === 'true',
      ...(caller.kind === 'user' ? { caller: caller.user } : {}),
      ...(inputText ? { inputText } : {}),
    });
    // Like OPA: an undefined document is 200 with no result; `?metrics=true` adds OPA's timer names.
    const body: Record<string, unknown> =
      evaluation.result === undefined ? {} : { result: evaluation.result, decision_id: evaluation.decisionId };
    if (query.metrics === 'true') {
      body.metrics = {
        timer_rego_query_eval_ns: Math.round(evaluation.durationMs * 1e6),
        timer_server_handler_ns: Number(process.hrtime.bigint() - started),
      };
    }
    if (query.provenance === 'true')
      body.provenance = { version: 'isd-sapor', revision: String(evaluation.revision ?? '') };
    return exactJsonReply(200, body);
  };
  const dataResponses = {
    200: {
      description: 'the document as `result` (absent when undefined) and the decision id',
      schema: dataResponseSchema,
    },
    400: { description: 'malformed request, or the policy failed on this input (budget, type or conflict error)' },
    429: WRITE_LIMIT_RESPONSE,
  };
  // Documented as the one segment a generated client sends (checkSegments refuses an empty one, a quote, a
  // backslash or a control character); the route also takes several, split at `/`.
  const pathParams = z.object({
    path: z.array(z.string()).meta({ type: 'string', items: undefined, pattern: '^[^"\\\\\\u0000-\\u001f/]+$' }),
  });
  const segmentsOf = (path: string[]) => path.filter((segment, index) => segment !== '' || index < path.length - 1);

  http.route(
    {
      method: 'post',
      path: '/v1/data',
      summary: 'OPA Data API: evaluates all of data',
      tags: ['opa'],
      auth: 'service-or-user',
      query: dataQuerySchema,
      body: dataRequestSchema.optional(),
      responses: dataResponses,
    },
    async ({ body, query, caller, rawBody }) => evaluateData(caller, [], body?.input, inputMember(rawBody), query),
  );
  http.route(
    {
      method: 'get',
      path: '/v1/data',
      summary: 'OPA Data API: all of data (input from ?input=)',
      tags: ['opa'],
      auth: 'service-or-user',
      query: dataQuerySchema,
      responses: dataResponses,
    },
    async ({ query, caller }) =>
      evaluateData(caller, [], parseInputParameter(query.input), inputParameterText(query.input), query),
  );
  http.route(
    {
      method: 'post',
      path: '/v1/data/*path',
      summary: 'OPA Data API: evaluates data.<path> with {input}',
      tags: ['opa'],
      auth: 'service-or-user',
      params: pathParams,
      query: dataQuerySchema,
      body: dataRequestSchema.optional(),
      responses: dataResponses,
    },
    async ({ params, body, query, caller, rawBody }) =>
      evaluateData(caller, segmentsOf(params.path), body?.input, inputMember(rawBody), query),
  );
  http.route(
    {
      method: 'get',
      path: '/v1/data/*path',
      summary: 'OPA Data API: data.<path> (input from ?input=)',
      tags: ['opa'],
      auth: 'service-or-user',
      params: pathParams,
      query: dataQuerySchema,
      responses: dataResponses,
    },
    async ({ params, query, caller }) =>
      evaluateData(
        caller,
        segmentsOf(params.path),
        parseInputParameter(query.input),
        inputParameterText(query.input),
        query,
      ),
  );

  // OPA's webhook forms: the whole body is the input and the answer is the bare value (404 when undefined).
  const undefinedDocument = {
    description: "undefined document (OPA's own body, not problem+json)",
    schema: z.object({ code: z.literal('undefined_document'), message: z.string() }),
  };
  const evaluateRaw = async (caller: Caller, segments: string[], input: unknown, inputText: string | undefined) => {
    requireDataApiCaller(caller, adminRoles);
    await writes.spend(caller);
    const evaluation = await service.evaluate('data-api', checkSegments(segments, 'path'), input, {
      ...(caller.kind === 'user' ? { caller: caller.user } : {}),
      ...(inputText === undefined ? {} : { inputText: { text: inputText } }),
    });
    if (evaluation.result === undefined) {
      return {
        status: 404,
        body: {
          code: 'undefined_document',
          message: `document missing or undefined: ${['data', ...segments].join('.')}`,
        },
      };
    }
    return exactJsonReply(200, evaluation.result, { 'X-ISD-Decision-Id': evaluation.decisionId });
  };
  http.route(
    {
      method: 'post',
      path: '/v0/data/*path',
      summary: 'OPA v0 Data API: the body is the input, the answer is the bare document (404 when undefined)',
      tags: ['opa'],
      auth: 'service-or-user',
      params: pathParams,
      body: z.unknown(),
      responses: { 200: { description: 'the document' }, 404: undefinedDocument, 429: WRITE_LIMIT_RESPONSE },
    },
    async ({ params, body, caller, rawBody }) => evaluateRaw(caller, segmentsOf(params.path), body, rawBody),
  );
  http.route(
    {
      method: 'post',
      path: '/',
      summary: "OPA's default decision: evaluates data.system.main with the body as input (404 when undefined)",
      tags: ['opa'],
      auth: 'service-or-user',
      body: z.unknown(),
      responses: { 200: { description: 'the document' }, 404: undefinedDocument, 429: WRITE_LIMIT_RESPONSE },
    },
    async ({ body, caller, rawBody }) => evaluateRaw(caller, ['system', 'main'], body, rawBody),
  );
}
