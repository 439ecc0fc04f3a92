// One user's flood of large requests must not take the service's one event loop from everyone else. alice (READ
// on shop) keeps server.userInFlightLimit pipeline checks of 880 KB in flight and sends 40 more: each of those is
// refused with 429 right after authentication, before its body is read or parsed, while bob's check is answered
// (was: every body was read and parsed before any per-user limit, so bob's empty check waited 4–11 s behind
// alice's 40). Ordering and status codes are asserted, never timings.
import http from 'node:http';
import { TEST_GATE_TOKEN, eventually } from '@isd/test-support';
import { asOrca, asUser, call, startServiceProcess, type Answer, type ServiceProcess } from './services';

jest.setTimeout(120_000);

const LIMIT = 4;
let sapor: ServiceProcess;

/** A pipeline of shop whose JSON is about 880 KB: many stages, each with a long description. */
const largePipeline = JSON.stringify({
  new: {
    application: 'shop',
    name: 'large',
    stages: Array.from({ length: 880 }, (_, index) => ({
      type: 'wait',
      name: `s${index}`,
      refId: String(index),
      requisiteStageRefIds: index ? [String(index - 1)] : [],
      description: 'x'.repeat(940),
    })),
  },
});

beforeAll(async () => {
  sapor = await startServiceProcess('sapor', { SAPOR_SERVER__USER_IN_FLIGHT_LIMIT: String(LIMIT) });
});
afterAll(() => sapor?.stop());

/** A check whose body is sent up to `sentBytes`, the rest when `finish` is called: it stays in flight until then. */
function slowCheck(user: string, sentBytes: number): { answer: Promise<Answer>; finish(): void } {
  const url = new URL('/api/v1/policies/pipeline-check', sapor.url);
  const request = http.request(url, {
    method: 'POST',
    agent: false,
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(largePipeline)),
      'x-isd-gate-token': TEST_GATE_TOKEN,
      'x-spinnaker-user': user,
    },
  });
  const answer = new Promise<Answer>((resolve, reject) => {
    request.on('response', (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (text += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body: JSON.parse(text), text }));
    });
    request.on('error', reject);
  });
  request.write(largePipeline.slice(0, sentBytes));
  return { answer, finish: () => request.end(largePipeline.slice(sentBytes)) };
}

/** The value of a metric of sapor's /metrics for one kind of caller (`caller="user"`). */
async function sample(name: string, caller = 'user'): Promise<number> {
  const text = await (await fetch(`${sapor.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((candidate) => candidate.startsWith(`${name}{`) && candidate.includes(`caller="${caller}"`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : NaN;
}

describe("one user's flood of large requests", () => {
  it("refuses alice's requests beyond her limit before reading them, and answers bob and Orca meanwhile", async () => {
    expect(largePipeline.length).toBeGreaterThan(850_000);
    const refusedBefore = await sample('http_caller_limit_refusals_total');

    // alice's first LIMIT checks are admitted and reading their bodies: half of each sent.
    const held = Array.from({ length: LIMIT }, () => slowCheck('alice', largePipeline.length / 2));
    await eventually(
      async () => ((await sample('http_caller_requests_in_flight')) === LIMIT ? true : undefined),
      30_000,
      "alice's checks admitted",
    );

    // 40 more whole 880 KB checks from her: each refused, naming the key.
    const flood = await Promise.all(
      Array.from({ length: 40 }, () =>
        call(sapor.url, 'POST', '/api/v1/policies/pipeline-check', asUser('alice'), largePipeline),
      ),
    );
    for (const answer of flood) {
      expect(answer.status).toBe(429);
      expect(answer.body).toMatchObject({
        type: 'urn:isd:problem:caller_limit_exceeded',
        status: 429,
        detail: expect.stringContaining(
          `alice has ${LIMIT} requests in flight (at most ${LIMIT}, server.userInFlightLimit)`,
        ),
      });
    }
    // One whose body never comes is refused too: the refusal does not wait for the body.
    const headersOnly = slowCheck('alice', 0);
    expect((await headersOnly.answer).status).toBe(429);

    // bob and Orca are answered while all of alice's admitted checks are still in flight.
    const bob = await call(sapor.url, 'POST', '/api/v1/policies/pipeline-check', asUser('bob'), {
      new: { application: 'billing', name: 'short', stages: [] },
    });
    expect(bob.status).toBe(200);
    expect(bob.body).toMatchObject({ status: 'allow' });
    const orca = await call(sapor.url, 'POST', '/api/v1/policies/pipeline-check', asOrca, {
      new: { application: 'shop', name: 'from-orca', stages: [] },
    });
    expect(orca.status).toBe(200);
    expect(await sample('http_caller_requests_in_flight')).toBe(LIMIT);
    expect((await sample('http_caller_limit_refusals_total')) - refusedBefore).toBe(41);

    // alice's admitted checks are evaluated once their bodies arrive: refused work is not counted against her.
    for (const check of held) check.finish();
    for (const answer of await Promise.all(held.map((check) => check.answer))) {
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ status: 'allow' });
    }
    await eventually(
      async () => ((await sample('http_caller_requests_in_flight')) === 0 ? true : undefined),
      30_000,
      "alice's slots freed",
    );
    const again = await call(sapor.url, 'POST', '/api/v1/policies/pipeline-check', asUser('alice'), largePipeline);
    expect(again.status).toBe(200);
    expect((await fetch(`${sapor.url}/healthz`)).status).toBe(200);
  });
});
