// Starting sapor for a test: a fresh database, admin users, and whatever policy/gate config the test needs.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import { RawJSON } from '@isd/rego';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import { saporService, type SaporConfig } from '../src';
import type { DecisionRecord, PolicyGateRecord } from '../src/store/policy-store';

/** The examples folder. */
export const examplesDir = path.join(__dirname, '..', 'policies', 'examples');

/** Reads a JSON fixture. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', name), 'utf8')) as T;
}

/** Users known to the test service: an admin and a developer. */
export const users = { admin: 'admin@example.com', developer: 'dev@example.com' };

/** Starts sapor on a fresh database with `extra` config sections. */
export async function startSapor(extra: Record<string, unknown> = {}): Promise<RunningService<SaporConfig>> {
  const databaseUrl = await createTestDatabase();
  const config = testServiceConfig(saporService, {
    databaseUrl,
    users: { [users.admin]: ['admin'], [users.developer]: ['dev'] },
    extra,
  });
  return startTestService(saporService, config);
}

/** A small HTTP client for one running service. */
export function client(baseUrl: string) {
  const call = async (method: string, url: string, body: unknown, headers: Record<string, string>) => {
    const response = await fetch(`${baseUrl}${url}`, {
      method,
      headers,
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await response.text();
    let json: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- test bodies are inspected freely
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = text;
    }
    return { status: response.status, body: json, headers: response.headers };
  };
  return {
    asService: (method: string, url: string, body?: unknown) => call(method, url, body, serviceHeaders()),
    asUser: (user: string, method: string, url: string, body?: unknown) => call(method, url, body, gateHeaders(user)),
    raw: call,
  };
}

/** Saves a policy as the admin and expects success. */
export async function savePolicy(
  api: ReturnType<typeof client>,
  name: string,
  source: string,
  regoVersion: 'v0' | 'v1' = 'v1',
) {
  const response = await api.asUser(users.admin, 'PUT', `/api/v1/policies/${name}`, { source, regoVersion });
  if (response.status !== 201 && response.status !== 200)
    throw new Error(`saving ${name} answered ${response.status}: ${JSON.stringify(response.body)}`);
  return response.body as { version: number; packages: string[] };
}

/** An allowing policy gate of stage `s` of `executionId` (of a policy version if given), with a fresh id and decision id. */
export function gateRecord(
  executionId: string,
  policy?: { name: string; version: number },
): Omit<PolicyGateRecord, 'createdAt'> {
  return {
    id: randomUUID(),
    executionId,
    stageId: 's',
    application: 'app',
    pipelineName: null,
    pipelineId: null,
    triggeredBy: null,
    policyPath: 'data.x',
    status: 'allow',
    messages: [],
    policyName: policy?.name ?? null,
    policyVersion: policy?.version ?? null,
    decisionId: randomUUID(),
    inputDigest: 'sha256:0',
  };
}

/** A Data API decision row with `result` as its JSON text (undefined: no result). */
export function decision(decisionId: string, result?: string): DecisionRecord {
  return {
    decisionId,
    source: 'data-api',
    path: 'data.x',
    engine: 'builtin',
    policies: [],
    revision: 1,
    inputDigest: 'sha256:0',
    outcome: result === undefined ? 'undefined' : 'defined',
    result: result === undefined ? undefined : new RawJSON(result),
    error: null,
    durationMs: 0.1,
  };
}
