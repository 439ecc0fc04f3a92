// 1,000 malformed policies and inputs: every one gets a 4xx (or a decision), never a 5xx or a crash.
import fs from 'node:fs';
import path from 'node:path';
import type { RunningService } from '@isd/kit';
import type { SaporConfig } from '../src';
import { client, examplesDir, startSapor, users } from './helpers';

let sapor: RunningService<SaporConfig>;
let api: ReturnType<typeof client>;

beforeAll(async () => {
  sapor = await startSapor({
    policy: { directory: examplesDir, maxSteps: 100_000, timeoutMs: 500 },
    // 500 saves and 500 checks in a minute: far past a person's write budget, which is not what this test is about.
    userWrites: { perMinute: 100_000 },
  });
  api = client(sapor.url);
});

afterAll(async () => {
  await sapor.stop();
});

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const seeds = fs
  .readdirSync(path.join(examplesDir, 'runtime'))
  .filter((file) => !file.endsWith('_test.rego'))
  .map((file) => fs.readFileSync(path.join(examplesDir, 'runtime', file), 'utf8'));
const fragments = [
  '{',
  '}',
  '[',
  ']',
  '(',
  ')',
  ':=',
  '=',
  'if',
  'contains',
  'some',
  'every',
  'in',
  'not',
  'with',
  'else',
  'default',
  '"',
  '`',
  '\\',
  '|',
  ';',
  '\n',
  'package',
  'import',
  'data.',
  'input.',
  '1e999999',
  '0x',
  '\u0000',
  '💥',
  'x'.repeat(300),
  '['.repeat(200),
  'future.keywords',
  'rego.v1',
];

function mutate(source: string, next: () => number): string {
  let text = source;
  const edits = 1 + Math.floor(next() * 6);
  for (let i = 0; i < edits; i++) {
    const at = Math.floor(next() * (text.length + 1));
    const kind = Math.floor(next() * 4);
    const fragment = fragments[Math.floor(next() * fragments.length)] ?? '';
    if (kind === 0) text = text.slice(0, at) + fragment + text.slice(at);
    else if (kind === 1) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(next() * 20));
    else if (kind === 2) text = text.slice(0, at);
    else text = text.slice(0, at) + fragment + text.slice(at + fragment.length);
  }
  return text;
}

function randomValue(next: () => number, depth = 0): unknown {
  const pick = Math.floor(next() * (depth > 4 ? 5 : 8));
  if (pick === 0) return null;
  if (pick === 1) return next() > 0.5;
  if (pick === 2) return next() > 0.5 ? Math.floor(next() * 1e6) : 1e308 * (next() > 0.5 ? 10 : 1);
  if (pick === 3) return fragments[Math.floor(next() * fragments.length)];
  if (pick === 4) return '${#currentUser()}';
  if (pick === 5) return Array.from({ length: Math.floor(next() * 4) }, () => randomValue(next, depth + 1));
  const out: Record<string, unknown> = {};
  for (let i = 0; i < Math.floor(next() * 4); i++)
    out[['__proto__', 'constructor', 'stages', 'policy', 'a', 'params'][Math.floor(next() * 6)] ?? 'k'] = randomValue(
      next,
      depth + 1,
    );
  return out;
}

async function expectNoServerError(response: Promise<{ status: number; body: unknown }>, what: string) {
  const { status, body } = await response;
  if (status >= 500) throw new Error(`${what} answered ${status}: ${JSON.stringify(body)}`);
  return status;
}

it('refuses 500 malformed policies with 4xx, never 5xx', async () => {
  const next = random(42);
  const statuses = new Map<number, number>();
  for (let i = 0; i < 500; i++) {
    const seed = seeds[i % seeds.length] ?? '';
    const source = mutate(seed, next);
    const regoVersion = next() > 0.3 ? 'v0' : 'v1';
    const status = await expectNoServerError(
      api.asUser(users.admin, 'PUT', `/api/v1/policies/fuzz-${i % 50}`, { source, regoVersion }),
      `policy #${i} ${JSON.stringify(source)}`,
    );
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  expect(statuses.get(400) ?? 0).toBeGreaterThan(300);
  expect([...statuses.keys()].every((status) => [200, 201, 400].includes(status))).toBe(true);
}, 120_000);

it('answers 500 malformed inputs to the Data API, gate and pipeline check without a 5xx', async () => {
  const next = random(7);
  const targets: Array<() => Promise<{ status: number; body: unknown }>> = [
    () => api.asService('POST', '/v1/data/isd/runtime', { input: randomValue(next) }),
    () =>
      api.asService(
        'POST',
        `/v1/data/${encodeURIComponent(JSON.stringify(randomValue(next)) ?? 'x')}/x`,
        randomValue(next),
      ),
    () => api.asService('POST', '/api/v1/policy-gates', randomValue(next)),
    () =>
      api.asService('POST', '/api/v1/policy-gates', {
        application: 'app',
        executionId: `e${Math.floor(next() * 1e9)}`,
        stageId: 's',
        policy: JSON.stringify(randomValue(next)) ?? 'x',
        params: randomValue(next),
      }),
    () =>
      api.asService('POST', '/api/v1/policies/pipeline-check', { new: randomValue(next), current: randomValue(next) }),
    () =>
      api.raw('POST', '/v1/data/isd', (JSON.stringify(randomValue(next)) ?? 'null').slice(0, 50), {
        'content-type': 'application/json',
        'x-isd-service-token': 'test-service-token-0123456789',
      }),
    () =>
      api.asService('GET', `/v1/data/isd?input=${encodeURIComponent(JSON.stringify(randomValue(next)).slice(0, 40))}`),
  ];
  for (let i = 0; i < 500; i++) {
    const target = targets[i % targets.length] as () => Promise<{ status: number; body: unknown }>;
    await expectNoServerError(target(), `input #${i}`);
  }
  const deep = `${'['.repeat(20_000)}${']'.repeat(20_000)}`;
  await expectNoServerError(
    api.raw('POST', '/v1/data/isd', `{"input": ${deep}}`, {
      'content-type': 'application/json',
      'x-isd-service-token': 'test-service-token-0123456789',
    }),
    'deep input',
  );
  expect((await api.asService('GET', '/api/v1/policies')).status).toBe(200);
}, 120_000);

it('refuses with 400 a gate or pipeline check whose body holds what a policy cannot read as written', async () => {
  const gate = (params: string) =>
    `{"application": "shop", "executionId": "e-${params.length}", "stageId": "s", "policy": "isd/runtime", "params": ${params}}`;
  // (A body nested deeper than the engine's 10,000 levels the kit refuses itself: too_deep.)
  const cases: Array<[string, string, string]> = [
    ['/api/v1/policy-gates', gate('{"limit": 1e99999}'), 'number 1e99999 is out of range'],
    ['/api/v1/policies/pipeline-check', '{"new": {"application": "shop", "x": -2e400000}}', 'out of range'],
  ];
  for (const [url, body, message] of cases) {
    const response = await api.raw('POST', url, body, {
      'content-type': 'application/json',
      'x-isd-service-token': 'test-service-token-0123456789',
    });
    expect([url, response.status, response.body.type]).toEqual([url, 400, 'urn:isd:problem:eval_invalid_input']);
    expect(response.body.detail).toContain(message);
  }
});
