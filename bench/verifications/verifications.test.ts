// The benchmark itself is tested: its fake Prometheus answers as Prometheus does, its options refuse
// nonsense by name, and a quick run (few verifications, short windows, real Postgres and services) ends
// with the JSON line the issue asks for, every window judged once and every gate expired. No timing is
// asserted: lateness and CPU are only checked to be measured.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { startFakePrometheus, type FakePrometheus } from './fake-prometheus';
import { parseOptions } from './options';

const root = path.resolve(__dirname, '..', '..');

describe('fake Prometheus', () => {
  let prometheus: FakePrometheus;
  beforeAll(async () => {
    prometheus = await startFakePrometheus();
  });
  afterAll(() => prometheus.close());

  const rangeQuery = async (form: Record<string, string>) => {
    const response = await fetch(`${prometheus.url}/api/v1/query_range`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: (await response.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it('answers a range query on its step grid, the same series for either scope of one metric', async () => {
    const baseline = await rangeQuery({ query: 'latency{pod="a"}', start: '1000', end: '1060', step: '5s' });
    const canary = await rangeQuery({ query: 'latency{pod="b"}', start: '1000', end: '1060', step: '5s' });
    const other = await rangeQuery({ query: 'errors{pod="a"}', start: '1000', end: '1060', step: '5s' });
    expect(baseline.status).toBe(200);
    const values = baseline.body.data.result[0].values as Array<[number, string]>;
    expect(values.map(([t]) => t)).toEqual(Array.from({ length: 13 }, (_, index) => 1000 + index * 5));
    expect(canary.body.data.result[0].values).toEqual(values);
    expect(other.body.data.result[0].values).not.toEqual(values);
    expect(prometheus.rangeQueries()).toBe(3);
  });

  it('refuses a range query without numbers as Prometheus does (400 bad_data)', async () => {
    const answer = await rangeQuery({ query: 'latency', start: 'soon', end: '1060', step: '5s' });
    expect(answer.status).toBe(400);
    expect(answer.body).toMatchObject({ status: 'error', errorType: 'bad_data' });
  });
});

describe('options', () => {
  it('defaults to the issue’s scale and a quick run for tests', () => {
    expect(parseOptions([])).toMatchObject({ verifications: 2_000, windowSeconds: 60, gates: 10_000 });
    expect(parseOptions(['--quick', '--verifications', '12'])).toMatchObject({ verifications: 12, windowSeconds: 5 });
  });

  it('names the option it refuses', () => {
    expect(() => parseOptions(['--verifications', 'many'])).toThrow('--verifications must be an integer ≥ 1, got many');
    expect(() => parseOptions(['--window-seconds', '0'])).toThrow('--window-seconds must be an integer ≥ 1, got 0');
    expect(() => parseOptions(['--replicas', '2,3'])).toThrow('--replicas must be a comma-separated list');
    expect(() => parseOptions(['--workers', '3'])).toThrow("Unknown option '--workers'");
  });
});

it('a quick run ends with the JSON line: every window judged once on one and two replicas, every gate expired', async () => {
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), 'bench/verifications/main.ts', '--quick'], {
      cwd: root,
      env: { ...process.env, NODE_OPTIONS: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(text) : reject(new Error(`bench exited ${code}:\n${text}`))));
  });
  const lines = output.trim().split('\n');
  expect(lines.some((line) => line.includes('windows judged'))).toBe(true);
  const result = JSON.parse(lines[lines.length - 1]!) as {
    p99LatenessMs: number;
    p50LatenessMs: number;
    cpuMsPerWindow: number;
    replicas: Record<
      string,
      { windowsJudged: number; windowsExpected: number; judgedTwice: number; perReplica: number[] }
    >;
    expiry: { p99LatenessMs: number; gates: number; expired: number };
  };
  for (const figure of [result.p50LatenessMs, result.p99LatenessMs, result.cpuMsPerWindow, result.expiry.p99LatenessMs])
    expect(Number.isFinite(figure)).toBe(true);
  expect(Object.keys(result.replicas)).toEqual(['1', '2']);
  for (const phase of Object.values(result.replicas)) {
    expect(phase.windowsJudged).toBe(phase.windowsExpected);
    expect(phase.judgedTwice).toBe(0);
    expect(phase.perReplica.reduce((total, n) => total + n, 0)).toBe(phase.windowsJudged);
  }
  expect(result.replicas['2']!.perReplica).toHaveLength(2);
  expect(result.expiry.gates).toBe(100);
  expect(result.expiry.expired).toBe(result.expiry.gates);
}, 600_000);
