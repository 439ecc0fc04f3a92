// Attacks on sapor's policy evaluation, against a real sapor process on Postgres: policies that try to
// exhaust memory, spin the CPU or blow the stack, sent as a Gate user through the policy check endpoint
// (its tests run the attack) and through the Data API on policies an admin saved. Each must get a clear
// 4xx (or OPA's answer when OPA has one), /healthz must keep answering (p99 within 100 ms, never stalled), and the
// process must never die.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  createTestDatabase,
  eventually,
  freePort,
  gateHeaders,
  serviceHeaders,
  spawnTypeScript,
  TEST_GATE_TOKEN,
  TEST_SERVICE_TOKEN,
  type ChildService,
} from '@isd/test-support';

jest.setTimeout(60_000);

/**
 * A probe this slow means a policy ran on the service's event loop: a runaway one runs there until the
 * worker deadline (1 s here, 10 s for a check's tests). Not a latency bound: how fast the service answers is
 * measured in bench/, since a loaded CI machine alone delays a bare node:http server past 100 ms now and then.
 */
const STALL_MS = 1_000;

interface Attack {
  name: string;
  /** A Rego v1 rule body computing `x` from `input`. */
  rule: string;
  input?: unknown;
  /** What a correct answer is: a budget/evaluation error, or the value OPA gives. */
  expect: { error: RegExp } | { value: unknown };
}

const attacks: Attack[] = [
  // Go's fmt refuses a width this large (%!(NOVERB)), as OPA does: nothing is padded.
  {
    name: 'sprintf with a 300,000,000 width',
    rule: 'x := sprintf("%300000000d", [1])',
    expect: { value: '%!(NOVERB)%!(EXTRA int64=1)' },
  },
  {
    name: 'sprintf with the largest width Go accepts, ten times',
    rule: 'x := [sprintf("%9999999d", [i]) | some i in numbers.range(1, 10)]',
    expect: { error: /memory budget/ },
  },
  {
    name: 'replace 5,000 characters by 5,000 each',
    rule: 'x := replace(input.s, "a", input.r)',
    input: { s: 'a'.repeat(5000), r: 'b'.repeat(5000) },
    expect: { error: /memory budget/ },
  },
  {
    name: 'glob.match with thirteen stars on 40 a',
    rule: 'x := glob.match("*a*a*a*a*a*a*a*a*a*a*a*a*b", [], input.s)',
    input: { s: 'a'.repeat(40) },
    expect: { value: false },
  },
  {
    name: 'catastrophic regex',
    rule: 'x := regex.match("(?i)^(a+)+$", input.s)',
    input: { s: 'a'.repeat(50_000) + '!' },
    expect: { value: false },
  },
  { name: 'huge numbers.range', rule: 'x := count(numbers.range(1, 1000000000000))', expect: { error: /budget/ } },
  {
    name: 'deep recursion (100,000 nested arrays)',
    rule: 'x := count(json.unmarshal(input.s))',
    input: { s: '['.repeat(100_000) + ']'.repeat(100_000) },
    // Read without recursion and stopped at Go's depth limit, as OPA's json.unmarshal is (a builtin error).
    expect: { error: /json\.unmarshal: exceeded max depth of 10000/ },
  },
  {
    name: 'comprehension blow-up',
    rule: 'x := count([[a, b, c] | some a in numbers.range(1, 1000); some b in numbers.range(1, 1000); some c in numbers.range(1, 1000)])',
    expect: { error: /budget/ },
  },
  {
    // Allocates nothing: only the wall-clock deadline, enforced from outside the worker, can stop it.
    name: 'a pure CPU spin',
    rule: 'r := numbers.range(1, 100000)\nx := [1 | some a in r; some b in r; a == b + 1000000]',
    expect: { error: /time budget/ },
  },
  // 10^99000 in the input: each such integer is some 41 KB the engine did not count, so these filled the worker's
  // heap (the worker was ended and replaced, naming its 268435456-byte heap) instead of ending at the evaluation's
  // 32 MiB budget. On a loaded machine the 1 s deadline can come first: also a clear answer, not the heap's.
  {
    name: 'a range between huge integers',
    rule: 'x := count(numbers.range(to_number(input.s), to_number(input.s) + 100000))',
    input: { s: '1' + '0'.repeat(99_000) },
    expect: { error: /memory budget \(33554432 bytes\)|time budget \(1000 ms\)/ },
  },
  {
    name: 'sums of a huge integer',
    rule: 'x := count([b + i | b := to_number(input.s); some i in numbers.range(1, 100000)])',
    input: { s: '1' + '0'.repeat(99_000) },
    expect: { error: /memory budget \(33554432 bytes\)|time budget \(1000 ms\)/ },
  },
  {
    name: 'doubling arrays',
    rule: 'd(a) := array.concat(a, a)\nx := count(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d(d([1])))))))))))))))))))))))))))))',
    expect: { error: /budget/ },
  },
];

let sapor: ChildService;
let url: string;
let prober: ChildProcess;
const latencies: number[] = [];

/**
 * Asks /healthz every 20 ms from its own small process (so the test runner's pauses are not counted),
 * printing each answer's latency in ms (a failed or non-200 answer prints Infinity).
 */
const PROBE = `
const url = process.argv[1];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
(async () => {
  for (;;) {
    const started = performance.now();
    let ms = Infinity;
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      await response.arrayBuffer();
      if (response.ok) ms = performance.now() - started;
    } catch {}
    process.stdout.write(ms + '\\n');
    await sleep(20);
  }
})();
`;

function startProber(): ChildProcess {
  const child = spawn(process.execPath, ['-e', PROBE, `${url}/healthz`], { stdio: ['ignore', 'pipe', 'inherit'] });
  let pending = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    const lines = (pending + chunk.toString()).split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) latencies.push(Number(line));
  });
  return child;
}

async function stopProber(): Promise<void> {
  if (!prober || prober.exitCode !== null || prober.signalCode !== null) return;
  await new Promise((resolve) => {
    prober.once('exit', resolve);
    prober.kill('SIGTERM');
  });
}

beforeAll(async () => {
  const port = await freePort();
  url = `http://127.0.0.1:${port}`;
  sapor = spawnTypeScript('sidecars/sapor/src/main.ts', {
    SAPOR_DATABASE__URL: await createTestDatabase('security_sapor'),
    SAPOR_SERVER__PORT: String(port),
    SAPOR_SERVER__HOST: '127.0.0.1',
    SAPOR_AUTH__SERVICE_TOKEN: TEST_SERVICE_TOKEN,
    SAPOR_AUTH__GATE_TOKEN: TEST_GATE_TOKEN,
    // mallory is any Gate user who may read one application: enough to run a policy check.
    SAPOR_AUTH__USERS: '{admin@example.com: [admin], mallory@example.com: {roles: [], applications: {shop: [READ]}}}',
    // The engine's step and time budgets are lifted so that the worker's own limits are what stops a
    // spinning policy (its deadline, enforced from outside; a check's tests get 10 times as long).
    SAPOR_POLICY__MAX_STEPS: '1000000000000',
    SAPOR_POLICY__TIMEOUT_MS: '600000',
    SAPOR_POLICY__WORKERS__DEADLINE_MS: '1000',
    SAPOR_LOG__LEVEL: 'warn',
    SAPOR_LOG__PRETTY: 'false',
  });
  await eventually(
    async () => {
      if (sapor.child.exitCode !== null) throw new Error(`sapor exited: ${sapor.output()}`);
      const response = await fetch(`${url}/readyz`);
      return response.ok ? true : undefined;
    },
    40_000,
    'sapor ready',
  );
  const keys = await fetch(`${url}/api/v1/policies/keys`, {
    method: 'PUT',
    headers: gateHeaders('admin@example.com'),
    body: JSON.stringify({ source: 'package keys\n\nx := [k | some k, _ in input]\n' }),
  });
  expect(keys.status).toBe(201);
  // The admin saves every attack as a policy (saving evaluates nothing but its tests; these have none).
  for (const [index, attack] of attacks.entries()) {
    const saved = await fetch(`${url}/api/v1/policies/attack${index}`, {
      method: 'PUT',
      headers: gateHeaders('admin@example.com'),
      body: JSON.stringify({ source: `package attack${index}\n\n${attack.rule}\n` }),
    });
    expect([saved.status, await saved.text()]).toEqual([201, expect.any(String)]);
  }
  prober = startProber();
  // The prober answers before the attacks start.
  await eventually(async () => (latencies.length > 0 ? true : undefined), 20_000, 'first health probe');
}, 55_000);

afterAll(async () => {
  await stopProber();
  await sapor?.stop();
});

function expectAnswer(attack: Attack, status: number, body: Record<string, unknown>, value: unknown): void {
  if ('value' in attack.expect) {
    expect([status, value]).toEqual([200, attack.expect.value]);
    return;
  }
  expect(status).toBe(400);
  expect(body.type ?? body.title).toBeDefined();
  expect(String(body.detail)).toMatch(attack.expect.error);
}

describe('sapor under evaluation attacks', () => {
  it.each(attacks.map((attack, index) => [attack.name, attack, index] as const))(
    '%s through the Data API gets a clear answer',
    async (_name, attack, index) => {
      // Strict: a builtin's error (json.unmarshal's depth limit) is the answer, not an undefined document.
      const response = await fetch(`${url}/v1/data/attack${index}/x?strict-builtin-errors=true`, {
        method: 'POST',
        headers: serviceHeaders(),
        body: JSON.stringify({ input: attack.input ?? {} }),
      });
      const body = (await response.json()) as Record<string, unknown>;
      expectAnswer(attack, response.status, body, body.result);
    },
  );

  it.each(attacks.map((attack) => [attack.name, attack] as const))(
    '%s as a Gate user through the policy check gets a clear answer',
    async (_name, attack) => {
      const input = JSON.stringify(attack.input ?? {});
      const source = `package mallory\n\n${attack.rule}\n\ntest_attack if {\n\tx == x with input as ${input}\n}\n`;
      const response = await fetch(`${url}/api/v1/policies/mallory/check`, {
        method: 'POST',
        headers: gateHeaders('mallory@example.com'),
        body: JSON.stringify({ source }),
      });
      const body = (await response.json()) as Record<string, unknown> & {
        tests?: Array<{ passed: boolean; error?: string }>;
      };
      if ('value' in attack.expect) {
        expect([response.status, body.tests?.[0]?.passed]).toEqual([200, true]);
        return;
      }
      // Either the test reports the budget error, or the check itself is refused with it.
      if (response.status === 200) expect(body.tests?.[0]?.error ?? '').toMatch(attack.expect.error);
      else {
        expect(response.status).toBe(400);
        expect(String(body.detail)).toMatch(attack.expect.error);
      }
    },
  );

  it('keeps __proto__ and constructor keys of the input, and a number beyond float64 with its text, as OPA', async () => {
    const post = (body: string) => fetch(`${url}/v1/data/keys/x`, { method: 'POST', headers: serviceHeaders(), body });
    const keys = await post('{"input": {"__proto__": {"polluted": true}, "constructor": 1, "ok": 2}}');
    expect(await keys.json()).toMatchObject({ result: ['__proto__', 'constructor', 'ok'] });
    const huge = await post('{"input": {"n": 1e309, "ok": 2}}');
    expect([huge.status, await huge.json()]).toEqual([200, expect.objectContaining({ result: ['n', 'ok'] })]);
  });

  it('answered /healthz throughout without a stall, and stayed alive', async () => {
    await stopProber();
    expect(sapor.child.exitCode).toBeNull();
    expect(latencies.length).toBeGreaterThan(20);
    // Every probe answered and none waited a second (the event loop never stalled on a policy).
    expect(latencies.filter((ms) => !(ms < STALL_MS)).map(Math.round)).toEqual([]);
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
  });
});
