// Test helpers for the visibility service: start it on real Postgres or embedded PGlite, and call it
// the way Orca and Gate's proxy do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
export { eventually } from '@isd/test-support';
import { createVisibilityService, type VisibilityConfig, type VisibilityServiceOptions } from '../src';

/** Users and roles of the static map the tests use. */
export const testUsers: Record<string, string[]> = {
  alice: ['developers'],
  rm1: ['release-managers'],
  rm2: ['release-managers'],
  rm3: ['release-managers', 'qa'],
  qa1: ['qa'],
  outsider: ['marketing'],
};

/** Which database a test runs on. */
export type Backend = 'postgres' | 'embedded';
/** Both backends, for describe.each. */
export const backends: Backend[] = ['postgres', 'embedded'];

/** Starts visibility on the given backend with the test users; `extra` holds visibility's own sections. */
export async function startVisibility(
  backend: Backend,
  extra: Record<string, unknown> = {},
  users: Record<string, string[]> = testUsers,
  options: VisibilityServiceOptions = {},
): Promise<RunningService<VisibilityConfig> & { cleanup(): Promise<void> }> {
  const visibilityService = createVisibilityService(options);
  const embeddedDataDir =
    backend === 'embedded' ? fs.mkdtempSync(path.join(os.tmpdir(), 'isd-visibility-')) : undefined;
  const databaseUrl = backend === 'postgres' ? await createTestDatabase('visibility') : undefined;
  const config = testServiceConfig(visibilityService, { databaseUrl, embeddedDataDir, users, extra });
  const running = await startTestService(visibilityService, config);
  return Object.assign(running, {
    async cleanup() {
      await running.stop();
      if (embeddedDataDir) fs.rmSync(embeddedDataDir, { recursive: true, force: true });
    },
  });
}

/** A clock the test moves forward, so passing a deadline never means sleeping through it. */
export function testClock(startMs = Date.now()) {
  let nowMs = startMs;
  return {
    now: () => new Date(nowMs),
    advance(ms: number) {
      nowMs += ms;
    },
  };
}

/** A create payload as Orca's template renders it. */
export function createPayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    application: 'shop',
    pipelineName: 'deploy',
    pipelineId: 'pipeline-1',
    executionId: `exec-${Math.random().toString(36).slice(2)}`,
    stageId: 'stage-1',
    triggeredBy: 'alice',
    approverGroups: [{ name: 'release-managers', required: 1 }],
    allowSelfApproval: false,
    timeoutMs: 86_400_000,
    instructions: 'Check the dashboards first.',
    evidence: [],
    autoDecision: null,
    ...overrides,
  };
}

/** A JSON response. */
export interface JsonResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary JSON fields
  body: any;
}

async function call(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<JsonResponse> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Calls the service as Orca. */
export function asOrca(base: string, method: string, path: string, body?: unknown): Promise<JsonResponse> {
  return call(base, method, path, serviceHeaders(), body);
}

/** Calls the service as a user through Gate. */
export function asUser(
  base: string,
  user: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<JsonResponse> {
  return call(base, method, path, gateHeaders(user), body);
}

/** Calls the service with the given headers. */
export function raw(
  base: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<JsonResponse> {
  return call(base, method, path, headers, body);
}
