// 1,000+ malformed and hostile requests to every endpoint: wrong types, huge strings, deep nesting,
// `__proto__` keys, unevaluated SpEL, bad paths and queries. None may be a 5xx, and none may change state.
import { createHash } from 'node:crypto';
import { gateHeaders, serviceHeaders, startupRetentionDone } from '@isd/test-support';
import { asOrca, createPayload, raw, startVisibility } from './helpers';

jest.setTimeout(120_000);

/** Deterministic PRNG (mulberry32) so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Deeply nested JSON, kept as text: building and stringifying it as values would overflow the test's own stack. */
class RawJson {
  constructor(readonly text: string) {}
}

function deep(depth: number, leaf: unknown = 1, asObject = false): RawJson {
  const inner = serialize(leaf);
  return new RawJson(
    asObject
      ? `${'{"a":'.repeat(depth)}${inner}${'}'.repeat(depth)}`
      : `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`,
  );
}

/** JSON text of a value that may hold RawJson pieces; own keys only, so a parsed `__proto__` key is kept. */
function serialize(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(serialize).join(',')}]`;
  if (value && typeof value === 'object') {
    return `{${Object.keys(value)
      .map((key) => `${JSON.stringify(key)}:${serialize((value as Record<string, unknown>)[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const hostileValues: unknown[] = [
  null,
  true,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  '',
  ' ',
  'x'.repeat(100_000),
  '\u0000',
  '${#currentUser()}',
  '${T(java.lang.Runtime).getRuntime().exec("id")}',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  "'; DROP TABLE approvals; --",
  '\ud800',
  [],
  [null],
  {},
  { __proto__: { admin: true } },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  JSON.parse('{"constructor": {"prototype": {"polluted": true}}}'),
  deep(50),
  deep(2_000, 1, true),
];

type Request = { method: string; path: string; headers: Record<string, string>; body?: unknown };

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)] as T;
}

/** Create payloads that are each invalid in at least one way. */
function badCreate(next: () => number): unknown {
  const payload: Record<string, unknown> = createPayload({ executionId: `fuzz-${Math.floor(next() * 1e9)}` });
  const kind = Math.floor(next() * 12);
  const field = pick(next, [
    'application',
    'executionId',
    'stageId',
    'approverGroups',
    'allowSelfApproval',
    'timeoutMs',
    'evidence',
    'autoDecision',
    'pipelineName',
    'triggeredBy',
    'instructions',
    'attempt',
  ]);
  switch (kind) {
    case 0: {
      // A value of the wrong type (or an out-of-range one) in a typed field.
      const wrong: Record<string, unknown[]> = {
        application: [null, 1, [], {}, '', 'x'.repeat(300), true],
        executionId: [null, 1, [], {}, '', 'x'.repeat(300)],
        stageId: [null, 7, [], {}, ' '],
        approverGroups: [
          null,
          'release-managers',
          {},
          [],
          [{}],
          [{ name: 1 }],
          [{ name: 'a', required: 0 }],
          [{ name: 'a', required: 1.5 }],
          [{ name: 'a', required: '2' }],
          [{ name: 'a' }, { name: 'A' }],
        ],
        allowSelfApproval: ['true', 1, [], {}],
        timeoutMs: ['1000', -1, 0, 1.5, 1e20, [], {}, true],
        evidence: ['jenkins', {}, [1], [{ connector: 'nope' }], [{}], [null]],
        autoDecision: [
          'x',
          1,
          [],
          { policyPath: 'a' },
          { mode: 'approve' },
          { policyPath: '../x', mode: 'approve' },
          { policyPath: 'a', mode: 'maybe' },
        ],
        pipelineName: [1, [], {}, 'x'.repeat(300)],
        triggeredBy: [1, [], {}, true],
        instructions: [1, [], {}, 'x'.repeat(20_001)],
        attempt: [0, -1, 'one', 1.5, 2_000],
      };
      payload[field] = pick(next, wrong[field] as unknown[]);
      return payload;
    }
    case 1:
      return {
        ...payload,
        [pick(next, ['__proto__', 'constructor', 'prototype', 'isAdmin', 'status', 'id', 'approved'])]: pick(
          next,
          hostileValues,
        ),
      };
    case 2:
      return JSON.parse(`{"__proto__": {"allowSelfApproval": true}, "application": "shop"}`);
    case 3:
      return { ...payload, evidence: deep(5_000 + Math.floor(next() * 5_000)) };
    case 4:
      return {
        ...payload,
        approverGroups: [
          { name: 'release-managers', required: 1, [pick(next, ['__proto__', 'extra', 'constructor'])]: 1 },
        ],
      };
    case 5:
      return {
        ...payload,
        evidence: [
          pick(next, [
            { connector: 'jenkins', job: '../../../etc', build: 1 },
            { connector: 'jenkins', job: 'shop', build: -1 },
            { connector: 'git', repository: 'acme/shop', base: 'a b', head: 'c' },
            { connector: 'git', repository: 'http://evil', base: 'a', head: 'b' },
            { connector: 'jira', issues: ['not a key'] },
            { connector: 'jira', issues: [] },
            { connector: 'sonarqube', projectKey: 'a/b' },
            { connector: 'verification', verificationId: '../x' },
            { connector: 'verification', verificationId: '..' },
            { connector: 'git', repository: 'acme/../../admin', base: 'a', head: 'b' },
            { connector: 'jenkins', job: 'folder/../..', build: 1 },
            { connector: 'http', endpoint: 'x', path: '/../../admin' },
            { connector: 'http', endpoint: 'Evil.Host' },
            { connector: 'jenkins', job: 'x', build: 1, url: 'http://169.254.169.254/' },
            { connector: 'github', token: 'x' },
          ]),
        ],
      };
    case 6:
      return { ...payload, [field === 'attempt' ? 'application' : field]: `prefix \${execution.id} suffix` };
    case 7: {
      const copy = { ...payload };
      delete copy[pick(next, ['application', 'executionId', 'stageId', 'approverGroups'])];
      return copy;
    }
    case 8:
      return pick(next, [null, [], 'string', 42, true, [payload]]);
    case 9:
      return {
        ...payload,
        approverGroups: Array.from({ length: 21 }, (_, index) => ({ name: `g${index}`, required: 1 })),
      };
    case 10:
      return { ...payload, timeoutMs: pick(next, [0, 999, 366 * 86_400_000, -5]) };
    default:
      return { ...payload, evidence: Array.from({ length: 21 }, () => ({ connector: 'jenkins', job: 'x', build: 1 })) };
  }
}

function badDecision(next: () => number): unknown {
  return pick(next, [
    {},
    { action: 'APPROVE' },
    { action: 'approve', comment: 5 },
    { action: 'reject' },
    { action: 'reject', comment: '   ' },
    { action: 'approve', extra: true },
    { action: 'approve', user: 'rm1' },
    { action: 'approve', evidenceDigest: 'md5:abc' },
    { action: 'approve', comment: 'x'.repeat(20_001) },
    JSON.parse('{"action": "approve", "__proto__": {"isAdmin": true}}'),
    { action: ['approve'] },
    { action: pick(next, hostileValues) },
    deep(3_000, { action: 'approve' }),
    null,
    [],
    'approve',
  ]);
}

const badIds = [
  'not-a-uuid',
  '1',
  '%00',
  'x'.repeat(5_000),
  '..%2F..%2Fetc',
  '00000000-0000-0000-0000-00000000000g',
  "1' OR '1'='1",
  '%E2%80%AE',
  '{id}',
];

async function tableDigest(query: (text: string) => Promise<{ rows: unknown[] }>): Promise<string> {
  const parts = await Promise.all(
    [
      'SELECT * FROM approvals ORDER BY id',
      'SELECT * FROM decisions ORDER BY approval_id, user_name',
      'SELECT * FROM audit_events ORDER BY id',
    ].map(async (text) => JSON.stringify((await query(text)).rows)),
  );
  return createHash('sha256').update(parts.join('\n')).digest('hex');
}

describe('fuzzing every endpoint', () => {
  it('answers 1,000+ malformed or hostile requests without a 5xx and without changing state', async () => {
    const service = await startVisibility('postgres');
    try {
      // The start-up retention run queues tomorrow's: let it finish, so the job count below is the requests' own.
      await startupRetentionDone(service);
      const open = await asOrca(
        service.url,
        'POST',
        '/api/v1/approvals',
        createPayload({ approverGroups: [{ name: 'release-managers', required: 2 }] }),
      );
      const openId = open.body.id as string;
      const before = await tableDigest((text) => service.database.query(text));
      const jobsBefore = (await service.database.query(`SELECT count(*)::int AS n FROM visibility_jobs.job`)).rows[0]
        ?.n;

      const next = random(20261122);
      const requests: Request[] = [];
      for (let i = 0; i < 400; i++)
        requests.push({ method: 'POST', path: '/api/v1/approvals', headers: serviceHeaders(), body: badCreate(next) });
      for (let i = 0; i < 250; i++) {
        requests.push({
          method: 'POST',
          path: `/api/v1/approvals/${openId}/decisions`,
          headers: gateHeaders(pick(next, ['rm1', 'rm2', 'outsider'])),
          body: badDecision(next),
        });
      }
      for (let i = 0; i < 100; i++) {
        const id = pick(next, badIds);
        requests.push(
          pick(next, [
            { method: 'GET', path: `/api/v1/approvals/${id}`, headers: serviceHeaders() },
            { method: 'POST', path: `/api/v1/approvals/${id}/cancel`, headers: serviceHeaders(), body: {} },
            {
              method: 'POST',
              path: `/api/v1/approvals/${id}/decisions`,
              headers: gateHeaders('rm1'),
              body: { action: 'approve' },
            },
            { method: 'GET', path: `/api/v1/approvals/${id}/audit`, headers: gateHeaders('rm1') },
          ]),
        );
      }
      for (let i = 0; i < 100; i++) {
        // Cancel with a body that is not `{}`, on the open gate: refused before anything happens.
        requests.push({
          method: 'POST',
          path: `/api/v1/approvals/${openId}/cancel`,
          headers: serviceHeaders(),
          body: pick(next, [{ reason: 'x' }, [], 'cancel', 1, JSON.parse('{"__proto__": {}}'), deep(2_000)]),
        });
      }
      for (let i = 0; i < 100; i++) {
        const query = pick(next, [
          'status=open',
          'status=ACTIVATED',
          'limit=0',
          'limit=100000',
          'limit=abc',
          'offset=-1',
          'mine=yes',
          'status=activated&status=approved',
          'unknown=1',
          '__proto__=x',
          `application=${'x'.repeat(300)}`,
          'limit=1e3',
        ]);
        requests.push({
          method: 'GET',
          path: `/api/v1/approvals?${query}`,
          headers: pick(next, [serviceHeaders(), gateHeaders('rm1')]),
        });
      }
      for (let i = 0; i < 60; i++) {
        // Transport-level abuse: wrong content types, broken JSON, oversize bodies, wrong methods, no auth.
        requests.push(
          pick(next, [
            {
              method: 'POST',
              path: '/api/v1/approvals',
              headers: { ...serviceHeaders(), 'content-type': 'text/plain' },
              body: 'hello',
            },
            { method: 'POST', path: '/api/v1/approvals', headers: serviceHeaders(), body: '{"application": "shop",' },
            {
              method: 'POST',
              path: '/api/v1/approvals',
              headers: serviceHeaders(),
              body: `{"a":"${'x'.repeat(1_100_000)}"}`,
            },
            { method: 'POST', path: '/api/v1/approvals', headers: serviceHeaders(), body: '[[[[[[[[[[' },
            {
              method: 'POST',
              path: '/api/v1/approvals',
              headers: { 'content-type': 'application/json' },
              body: createPayload(),
            },
            { method: 'POST', path: '/api/v1/approvals', headers: gateHeaders('rm1'), body: createPayload() },
            { method: 'PUT', path: `/api/v1/approvals/${openId}`, headers: serviceHeaders(), body: {} },
            { method: 'DELETE', path: `/api/v1/approvals/${openId}`, headers: serviceHeaders() },
            {
              method: 'POST',
              path: `/api/v1/approvals/${openId}/decisions`,
              headers: { 'content-type': 'application/json', 'x-spinnaker-user': 'rm1' },
              body: { action: 'approve' },
            },
            {
              method: 'POST',
              path: `/api/v1/approvals/${openId}/decisions`,
              headers: { ...gateHeaders('rm1'), 'x-isd-gate-token': 'wrong-token-wrong-token' },
              body: { action: 'approve' },
            },
            { method: 'POST', path: `/api/v1/approvals/${openId}/cancel`, headers: gateHeaders('rm1'), body: {} },
            {
              method: 'POST',
              path: `/api/v1/approvals/${openId}/decisions`,
              headers: serviceHeaders(),
              body: { action: 'approve' },
            },
          ]),
        );
      }
      expect(requests.length).toBeGreaterThanOrEqual(1_000);

      const statuses = new Map<number, number>();
      const failures: string[] = [];
      for (let start = 0; start < requests.length; start += 25) {
        const batch = requests.slice(start, start + 25);
        const answers = await Promise.all(
          batch.map((request) =>
            raw(
              service.url,
              request.method,
              request.path,
              request.headers,
              request.body === undefined || typeof request.body === 'string' ? request.body : serialize(request.body),
            ),
          ),
        );
        answers.forEach((answer, index) => {
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          const request = batch[index] as Request;
          if (answer.status >= 500 || answer.status < 400)
            failures.push(
              `${request.method} ${request.path.slice(0, 80)} ${typeof request.body === 'string' ? request.body.slice(0, 300) : serialize(request.body).slice(-300)} → ${answer.status} ${JSON.stringify(answer.body).slice(0, 100)}`,
            );
          else if (
            answer.status !== 405 &&
            !String(answer.headers.get('content-type')).startsWith('application/problem+json')
          )
            failures.push(`not problem+json: ${answer.status}`);
        });
      }
      expect(failures).toEqual([]);
      expect([...statuses.keys()].every((status) => status >= 400 && status < 500)).toBe(true);

      expect(await tableDigest((text) => service.database.query(text))).toBe(before);
      expect((await service.database.query(`SELECT count(*)::int AS n FROM visibility_jobs.job`)).rows[0]?.n).toBe(
        jobsBefore,
      );
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect((await asOrca(service.url, 'GET', `/api/v1/approvals/${openId}`)).body).toMatchObject({
        status: 'activated',
        decisions: [],
      });
    } finally {
      await service.cleanup();
    }
  });
});
