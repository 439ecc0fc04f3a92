// Numbers through sapor end to end, against a real `opa run --server` on the same policy and inputs: input
// numbers written as `1.0`, `2.50`, `-0`, `1e400` or with 30 digits, and results made of them or of such
// literals, must come back with the texts OPA answers them with, on every Data API form, the external-OPA
// backend, the playground, the save-time check's and the gate's messages; the decision log shows what
// Postgres jsonb keeps of them (asked of the same Postgres).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningService } from '@isd/kit';
import { parseJSONText, RegoObject, stringifyJSON, toJSONText, valueToExactJSON, type Value } from '@isd/rego';
import { buildRuntimeInput, buildStaticInput, denyMessage, saporService, type SaporConfig } from '@isd/sapor';
import {
  createTestDatabase,
  gateHeaders,
  serviceHeaders,
  startTestService,
  testServiceConfig,
} from '@isd/test-support';
import { OpaServer } from '../rego-differential/differential';

jest.setTimeout(120_000);

const admin = 'admin@example.com';

const NUMBERS = `package numbers

echo := input

literals := {
  "one": 1.0,
  "two_fifty": 2.50,
  "big": 123456789012345678901234567890,
  "huge": 1e400,
  "tiny": 1e-400,
  "exp": 1E+2,
  "zero": -0,
  "plain": 7,
}

computed := {
  "third": 10 / 3,
  "big_plus_one": input.big + 1,
  "f_times_3": input.f * 3,
  "huge_div": input.huge / 4,
  "n_minus": input.n - 1,
  "shown": sprintf("%v %v %v %v", [input.n, input.f, input.big, input.huge]),
}

collections := {
  "list": [input.n, input.f, input.z, input.big],
  "set": {input.f, input.huge, 1.0},
  "keys": {input.n: "n", input.big: "big"},
}
`;

const STATIC = `package isd.static

deny contains sprintf("replicas %v above %v", [input.new.replicas, input.new.limit]) if input.new.replicas > 1

deny contains {"over": input.new.limit, "id": input.new.id} if input.new.limit
`;

const GATE = `package isd.numbers

deny contains sprintf("threshold %v, build %v", [input.params.threshold, input.params.build])

deny contains {"threshold": input.params.threshold} if input.params.threshold > 2

deny contains {"context": stage.context} if {
  some stage in input.stages
  stage.context.replicas
}
`;

// The execution sapor reads from Gate (Orca's JSON, which Jackson writes with `1.0` for a double).
const EXECUTION_TEXT =
  '{"id": "e-numbers", "application": "app", "stages": [{"id": "s-1", "type": "isdPolicyGate", "context": {"replicas": 1.0, "cpu": 0.50, "build": 123456789012345678901234567890}}], "trigger": {"user": "alice"}}';

// Input texts: every kind of number JSON.parse would change, and plain ones beside them.
const INPUTS = [
  '{"n": 1.0, "f": 2.50, "z": -0, "big": 123456789012345678901234567890, "huge": 1e400, "small": 1e-400, "e": 1E+2, "plain": 7, "frac": 0.1}',
  '{"n": 3, "f": 0.5, "z": 0, "big": 12, "huge": 8, "list": [1.10, 100000000000000000000000, 1.5e300]}',
  '{"n": -12.340e1, "f": 1e-7, "z": -0.0, "big": -98765432109876543210, "huge": 2e300, "beyond_numeric": 1e-20000}',
];
const DOCUMENTS = [
  ['numbers'],
  ['numbers', 'echo'],
  ['numbers', 'literals'],
  ['numbers', 'computed'],
  ['numbers', 'collections'],
];

let sapor: RunningService<SaporConfig>;
let saporWithOpa: RunningService<SaporConfig>;
let opa: OpaServer;
let gateApi: http.Server;

/** The `result` of an answer as exact JSON text (keys sorted, every number's text kept), or 'undefined'. */
function resultOf(bodyText: string): string {
  const body = parseJSONText(bodyText);
  const result = body instanceof RegoObject ? body.get('result') : undefined;
  return result === undefined ? 'undefined' : toJSONText(result);
}

/** OPA's answer for `data.<path>` on the input text. */
async function opaResult(path: string[], inputText: string): Promise<string> {
  const response = await fetch(`${opa.url}/v1/data/${path.join('/')}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: `{"input": ${inputText}}`,
  });
  const text = await response.text();
  if (response.status !== 200) throw new Error(`opa answered ${response.status}: ${text}`);
  return resultOf(text);
}

async function saporAnswer(service: RunningService<SaporConfig>, path: string[], inputText: string) {
  const response = await fetch(`${service.url}/v1/data/${path.join('/')}`, {
    method: 'POST',
    headers: serviceHeaders(),
    body: `{"input": ${inputText}}`,
  });
  const text = await response.text();
  expect(response.status).toBe(200);
  return { text, result: resultOf(text), decisionId: (JSON.parse(text) as { decision_id?: string }).decision_id };
}

/** Deny messages as sapor makes them from OPA's answer for `data.<path>.deny` on an input. */
async function opaDenyMessages(path: string[], input: unknown): Promise<string[]> {
  const result = await opaResult([...path, 'deny'], stringifyJSON(input));
  return result === 'undefined' ? [] : (valueToExactJSON(parseJSONText(result)) as unknown[]).map(denyMessage).sort();
}

const exact = (text: string): Value => parseJSONText(text);

beforeAll(async () => {
  // Gate API stand-in: GET /pipelines/e-numbers → the execution's text as Orca wrote it.
  gateApi = http.createServer((request, response) => {
    const found = request.url === '/pipelines/e-numbers';
    response.writeHead(found ? 200 : 404, { 'content-type': 'application/json' });
    response.end(found ? EXECUTION_TEXT : '{"error": "Not Found", "status": 404}');
  });
  await new Promise<void>((resolve) => gateApi.listen(0, '127.0.0.1', resolve));
  const gateUrl = `http://127.0.0.1:${(gateApi.address() as AddressInfo).port}`;
  opa = await OpaServer.start();
  const [builtinDatabase, opaDatabase] = await Promise.all([
    createTestDatabase('e2e_sapor_numbers'),
    createTestDatabase('e2e_sapor_numbers_opa'),
  ]);
  [sapor, saporWithOpa] = await Promise.all([
    startTestService(
      saporService,
      testServiceConfig(saporService, {
        databaseUrl: builtinDatabase,
        users: { [admin]: ['admin'] },
        extra: { gate: { url: gateUrl } },
      }),
    ),
    startTestService(
      saporService,
      testServiceConfig(saporService, {
        databaseUrl: opaDatabase,
        extra: { policy: { engine: 'opa', opa: { url: opa.url } } },
      }),
    ),
  ]);
  for (const [name, source] of Object.entries({ numbers: NUMBERS, static: STATIC, gate: GATE })) {
    const put = await fetch(`${opa.url}/v1/policies/${name}`, { method: 'PUT', body: source });
    expect(put.status).toBe(200);
    const saved = await fetch(`${sapor.url}/api/v1/policies/${name}`, {
      method: 'PUT',
      headers: gateHeaders(admin),
      body: JSON.stringify({ regoVersion: 'v1', modules: [{ name: `${name}.rego`, source }] }),
    });
    expect(saved.status).toBe(201);
  }
});

afterAll(async () => {
  await Promise.all([sapor?.stop(), saporWithOpa?.stop(), opa?.stop()]);
  await new Promise((resolve) => gateApi?.close(resolve));
});

describe("sapor answers a policy's numbers with OPA's texts", () => {
  it('the Data API (POST, GET ?input=, v0 webhook) and the external-OPA backend answer what opa answers', async () => {
    const differences: string[] = [];
    for (const inputText of INPUTS)
      for (const path of DOCUMENTS) {
        const want = await opaResult(path, inputText);
        const get = await fetch(`${sapor.url}/v1/data/${path.join('/')}?input=${encodeURIComponent(inputText)}`, {
          headers: serviceHeaders(),
        });
        const v0 = await fetch(`${sapor.url}/v0/data/${path.join('/')}`, {
          method: 'POST',
          headers: serviceHeaders(),
          body: inputText,
        });
        const answers = {
          post: (await saporAnswer(sapor, path, inputText)).result,
          get: resultOf(await get.text()),
          v0: toJSONText(exact(await v0.text())),
          'engine opa': (await saporAnswer(saporWithOpa, path, inputText)).result,
        };
        for (const [form, ours] of Object.entries(answers))
          if (ours !== want)
            differences.push(`${path.join('.')} ${form} on ${inputText}\n  sapor: ${ours}\n  opa:   ${want}`);
      }
    expect(differences).toEqual([]);
  });

  it('the comparison is about the texts: opa answers them, JSON.parse would not', async () => {
    const echo = await saporAnswer(sapor, ['numbers', 'echo'], INPUTS[0] as string);
    for (const text of ['1.0', '2.50', '-0', '123456789012345678901234567890', '1e400', '1e-400', '1E+2'])
      expect(echo.text).toContain(`:${text}`);
    const literals = await opaResult(['numbers', 'literals'], '{}');
    expect(literals).toContain('"big":123456789012345678901234567890');
    expect(literals).toContain('"one":1.0');
    expect(literals).toContain('"huge":1e400');
    // Round-tripped through JSON.parse, as sapor answered before: the texts are gone.
    expect(JSON.stringify(JSON.parse(echo.text))).not.toContain('123456789012345678901234567890');
  });

  it('the playground evaluates a draft on the input with the same texts', async () => {
    for (const inputText of INPUTS) {
      const response = await fetch(`${sapor.url}/api/v1/policies/numbers/check`, {
        method: 'POST',
        headers: gateHeaders(admin),
        body: `{"modules": ${JSON.stringify([{ name: 'numbers.rego', source: NUMBERS }])}, "query": "numbers", "input": ${inputText}}`,
      });
      const text = await response.text();
      expect(response.status).toBe(200);
      const evaluation = (parseJSONText(text) as RegoObject).get('evaluation') as RegoObject;
      const result = evaluation.get('result');
      expect(result === undefined ? 'undefined' : toJSONText(result)).toBe(await opaResult(['numbers'], inputText));
    }
  });

  it('the decision log shows the result as Postgres jsonb keeps it', async () => {
    const { result, decisionId } = await saporAnswer(sapor, ['numbers'], INPUTS[0] as string);
    const response = await fetch(`${sapor.url}/api/v1/decisions/${decisionId}`, { headers: serviceHeaders() });
    expect(response.status).toBe(200);
    const logged = (parseJSONText(await response.text()) as RegoObject).get('result') as Value;
    const { rows } = await sapor.database.query<{ kept: string }>('SELECT $1::jsonb::text AS kept', [result]);
    expect(toJSONText(logged)).toBe(toJSONText(exact(rows[0]?.kept as string)));
    // jsonb keeps digits and decimal places, so these survive; `1e400` is written out and `-0` is 0.
    expect(toJSONText(logged)).toContain('"big":123456789012345678901234567890');
    expect(toJSONText(logged)).toContain('"one":1.0');
    expect(toJSONText(logged)).toContain('"two_fifty":2.50');
  });

  it("the save-time check reads the pipeline's numbers as sent and writes them in its messages as opa does", async () => {
    const pipelineText =
      '{"application": "app", "name": "deploy", "replicas": 1.0e1, "limit": 2.50, "id": 123456789012345678901234567890}';
    const response = await fetch(`${sapor.url}/api/v1/policies/pipeline-check`, {
      method: 'POST',
      headers: serviceHeaders(),
      body: `{"new": ${pipelineText}}`,
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { status: string; messages: string[] };
    const input = buildStaticInput(valueToExactJSON(exact(pipelineText)), undefined);
    const want = await opaDenyMessages(['isd', 'static'], input);
    // sprintf's %v writes a number as a float in OPA ("2.5"); the deny object keeps the texts.
    expect(want).toContain('replicas 10 above 2.5');
    expect(want).toContain('{"id":123456789012345678901234567890,"over":2.50}');
    expect(body.status).toBe('deny');
    expect([...body.messages].sort()).toEqual(want);
  });

  it("the gate reads Orca's params as sent, and the execution as Gate sent it, and writes them in its messages as opa does", async () => {
    const paramsText = '{"threshold": 2.50, "build": 123456789012345678901234567890}';
    const fields = {
      application: 'app',
      pipelineName: 'deploy',
      pipelineId: 'p-1',
      executionId: 'e-numbers',
      stageId: 's-1',
      triggeredBy: 'alice',
    };
    const response = await fetch(`${sapor.url}/api/v1/policy-gates`, {
      method: 'POST',
      headers: serviceHeaders(),
      body: `{${Object.entries(fields)
        .map(([key, value]) => `${JSON.stringify(key)}: ${JSON.stringify(value)}`)
        .join(', ')}, "policy": "isd/numbers", "params": ${paramsText}}`,
    });
    expect(response.status).toBe(202);
    const gate = (await response.json()) as { id: string; status: string; messages: string[] };
    const execution = valueToExactJSON(exact(EXECUTION_TEXT)) as Record<string, unknown>;
    const input = buildRuntimeInput(fields, execution, valueToExactJSON(exact(paramsText)));
    const want = await opaDenyMessages(['isd', 'numbers'], input);
    expect(want).toContain('threshold 2.5, build 123456789012345678901234567890');
    expect(want).toContain('{"context":{"build":123456789012345678901234567890,"cpu":0.50,"replicas":1.0}}');
    expect(want).toContain('{"threshold":2.50}');
    expect(gate.status).toBe('deny');
    expect([...gate.messages].sort()).toEqual(want);
    // The input shown back keeps what jsonb keeps of them.
    const kept = await fetch(`${sapor.url}/api/v1/policy-gates/${gate.id}/input`, { headers: serviceHeaders() });
    expect(await kept.text()).toContain('"params": {"build": 123456789012345678901234567890, "threshold": 2.50}');
  });
});
