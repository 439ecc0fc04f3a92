// `npm run bench:policy`: evaluation time of the ten example policies of sidecars/sapor on realistic
// inputs (compiled once, as the service caches them), the same evaluations by the real `opa bench` in the
// same run (ratioToOpa: our median ÷ OPA's, per case and overall), memory per compiled policy, and
// throughput of sapor's OPA-compatible `POST /v1/data/{path}` over HTTP (decision log written per request).
// The last line is one JSON object.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import os from 'node:os';
import path from 'node:path';
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { createLogger, startService } from '@isd/kit';
import {
  compile,
  parseJSONText,
  RawJSON,
  stringifyJSON,
  toJSONText,
  valueFromJSON,
  valueToJSON,
  type Value,
} from '@isd/rego';
import { requireTool } from '@isd/test-support';
import { canonicalJson, digestOfCanonical, jsonbText, saporConfigSchema, saporService } from '@isd/sapor';
import { examplesRoot, exampleModules, policyCases, repoRoot, type PolicyCase } from './cases';

const ITERATIONS = Number(process.env.BENCH_ITERATIONS ?? 2_000);
const WARMUP = 300;
const HTTP_SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
const HTTP_CONCURRENCY = Number(process.env.BENCH_HTTP_CONCURRENCY ?? 16);
const TARGET_MEDIAN_MS = 0.2;

function quantile(sorted: number[], q: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] as number;
}

const round = (value: number, digits = 4) => Number(value.toFixed(digits));
type Json = any; // eslint-disable-line @typescript-eslint/no-explicit-any -- opa's JSON output, read a few fields deep

/** Our median evaluation time per case, by case name. */
type CaseMedians = Map<string, number>;

/**
 * Times every case: `perCase` with the input parsed from its JSON text in each evaluation (parseJSONText,
 * which keeps numbers' texts as OPA does: what the service pays), `perCaseParsedInput` with it converted
 * once before timing, as `opa bench` does (it parses `-i` into an AST value once, `rego.ParsedInput`), so the
 * OPA comparison times the same work on both sides. `inputParseRatio` compares parseJSONText with the
 * lossy JSON.parse + valueFromJSON it replaces, on the same texts in the same run (geometric mean of the
 * per-case median ratios; above 1 is slower).
 */
function benchEvaluation(): {
  medianMs: number;
  p99Ms: number;
  perCase: CaseMedians;
  perCaseParsedInput: CaseMedians;
  inputParseRatio: number;
} {
  const compileStarted = process.hrtime.bigint();
  const compiled = compile(exampleModules());
  const compileMs = Number(process.hrtime.bigint() - compileStarted) / 1e6;
  process.stdout.write(
    `compiled the ten examples in ${compileMs.toFixed(1)} ms (once per policy version in the service)\n`,
  );
  const all: number[] = [];
  const perCase: CaseMedians = new Map();
  const perCaseParsedInput: CaseMedians = new Map();
  const time = (evaluate: () => unknown): number[] => {
    for (let i = 0; i < WARMUP; i++) evaluate();
    const times: number[] = [];
    for (let i = 0; i < ITERATIONS; i++) {
      const started = process.hrtime.bigint();
      evaluate();
      times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return times.sort((a, b) => a - b);
  };
  process.stdout.write(`${'case'.padEnd(44)} ${'median ms'.padStart(10)} ${'p99 ms'.padStart(10)}  result\n`);
  const parseRatios: number[] = [];
  for (const example of policyCases()) {
    const options = { input: example.input, nowNs: example.nowNs, budget: { maxSteps: 1_000_000, timeoutMs: 1_000 } };
    const result = compiled.evaluate(example.document, options);
    if (result === undefined)
      throw new Error(`${example.name}: ${example.document} is undefined; the benchmark input is wrong`);
    const inputText = JSON.stringify(example.input);
    const times = time(() => compiled.evaluate(example.document, { ...options, input: parseJSONText(inputText) }));
    parseRatios.push(
      quantile(
        time(() => parseJSONText(inputText)),
        0.5,
      ) /
        quantile(
          time(() => valueFromJSON(JSON.parse(inputText))),
          0.5,
        ),
    );
    all.push(...times);
    perCase.set(example.name, quantile(times, 0.5));
    const parsed = { ...options, input: valueFromJSON(example.input) };
    perCaseParsedInput.set(
      example.name,
      quantile(
        time(() => compiled.evaluate(example.document, parsed)),
        0.5,
      ),
    );
    const summary = JSON.stringify(result);
    process.stdout.write(
      `${example.name.padEnd(44)} ${quantile(times, 0.5).toFixed(4).padStart(10)} ${quantile(times, 0.99).toFixed(4).padStart(10)}  ${summary.length > 60 ? `${summary.slice(0, 57)}...` : summary}\n`,
    );
  }
  all.sort((a, b) => a - b);
  const inputParseRatio = Math.exp(parseRatios.reduce((sum, r) => sum + Math.log(r), 0) / parseRatios.length);
  process.stdout.write(
    `input from JSON text keeping number texts: ${inputParseRatio.toFixed(2)}× the time of JSON.parse + valueFromJSON\n`,
  );
  return { medianMs: quantile(all, 0.5), p99Ms: quantile(all, 0.99), perCase, perCaseParsedInput, inputParseRatio };
}

/** Geometric mean of per-case ratios of medians (`now` ÷ `before`), timed alternately in the same run. */
function medianRatio(pairs: Array<{ before: () => unknown; now: () => unknown }>): number {
  const rounds = Math.max(200, Math.round(ITERATIONS / 4));
  const logs = pairs.map(({ before, now }) => {
    const times = { before: [] as number[], now: [] as number[] };
    for (let i = 0; i < WARMUP; i++) {
      before();
      now();
    }
    for (let i = 0; i < rounds; i++)
      for (const side of ['before', 'now'] as const) {
        const started = process.hrtime.bigint();
        (side === 'before' ? before : now)();
        times[side].push(Number(process.hrtime.bigint() - started) / 1e6);
      }
    const median = (list: number[]) =>
      quantile(
        [...list].sort((a, b) => a - b),
        0.5,
      );
    return Math.log(median(times.now) / median(times.before));
  });
  return Math.exp(logs.reduce((sum, value) => sum + value, 0) / logs.length);
}

/**
 * sapor's work around an evaluation, as it was and as it is now that numbers keep their texts (decision
 * 208), on each case's result and on its whole input as a result (a large answer):
 * - `answerRatio`: before, the worker converted the result to JS data (valueToJSON), the tree was copied
 *   to the main thread and written with JSON.stringify for the answer and again for the decision log; now
 *   the worker writes its JSON text (toJSONText), the string is copied, and the answer is stringifyJSON
 *   around it, the decision log row jsonbText of it.
 * - `builtInputRatio`: an input sapor builds (gates, pipeline checks) was digested (canonical JSON), the
 *   tree copied to the worker and converted (valueFromJSON); now the canonical text is digested, copied as
 *   a string and parsed there (parseJSONText).
 * structuredClone stands for postMessage's copy.
 */
function benchAroundEvaluation(): { answerRatio: number; builtInputRatio: number } {
  const compiled = compile(exampleModules());
  const decisionId = randomUUID();
  const results: Value[] = [];
  for (const example of policyCases()) {
    const value = compiled.evaluateValue(example.document, {
      input: example.input,
      nowNs: example.nowNs,
      budget: { maxSteps: 1_000_000, timeoutMs: 1_000 },
    });
    if (value === undefined) throw new Error(`${example.name}: ${example.document} is undefined`);
    results.push(value, valueFromJSON(example.input));
  }
  const answerRatio = medianRatio(
    results.map((value) => ({
      before: () => {
        const result = structuredClone(valueToJSON(value));
        return JSON.stringify({ result, decision_id: decisionId }).length + JSON.stringify(result).length;
      },
      now: () => {
        const text = structuredClone(toJSONText(value));
        return stringifyJSON({ result: new RawJSON(text), decision_id: decisionId }).length + jsonbText(text).length;
      },
    })),
  );
  const digest = (text: string) => `sha256:${createHash('sha256').update(text).digest('hex')}`;
  const builtInputRatio = medianRatio(
    policyCases().map(({ input }) => ({
      before: () => [digest(canonicalJson(input)), valueFromJSON(structuredClone(input))],
      now: () => {
        const canonical = canonicalJson(input);
        return [digestOfCanonical(canonical), parseJSONText(structuredClone(canonical))];
      },
    })),
  );
  process.stdout.write(
    `around an evaluation, now ÷ before numbers kept their texts: answer and decision-log text ${answerRatio.toFixed(2)}×, ` +
      `a built input digested and handed to the worker ${builtInputRatio.toFixed(2)}×\n`,
  );
  return { answerRatio, builtInputRatio };
}

/** Cases OPA cannot time like ours: with http.send allowed, `opa` makes the request to GitHub. */
const OPA_SKIPPED = new Set(['branch protection (denied, http.send off)']);

/**
 * The same cases through the real `opa bench` (its own prepared query, one evaluation per op), and each
 * case's result from `opa eval` checked against ours so the two engines time the same answer.
 */
function benchOpa(
  ours: CaseMedians,
): { ratioToOpa: number; perCase: Record<string, number>; opaVersion: string } | { skipped: string } {
  let opa: string;
  try {
    opa = requireTool('opa');
  } catch (error) {
    return { skipped: (error as Error).message };
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'opa-bench-'));
  try {
    for (const module of exampleModules()) {
      const file = path.join(dir, 'policies', module.name);
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, module.source);
    }
    const run = (args: string[]) => {
      const result = spawnSync(opa, args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
      if (result.status !== 0) throw new Error(`opa ${args.join(' ')} failed: ${result.stderr || result.stdout}`);
      return result.stdout;
    };
    const opaVersion = /Version: (\S+)/.exec(run(['version']))?.[1] ?? 'unknown';
    const compiled = compile(exampleModules());
    process.stdout.write(`\nopa ${opaVersion} on the same cases (opa bench: median of its timed evaluations)\n`);
    process.stdout.write(
      `${'case'.padEnd(44)} ${'opa ms'.padStart(10)} ${'ours ms'.padStart(10)} ${'ratio'.padStart(7)}\n`,
    );
    const perCase: Record<string, number> = {};
    policyCases().forEach((example: PolicyCase, index) => {
      if (OPA_SKIPPED.has(example.name)) {
        process.stdout.write(`${example.name.padEnd(44)} skipped: opa would send the request\n`);
        return;
      }
      const input = path.join(dir, `input-${index}.json`);
      fs.writeFileSync(input, JSON.stringify(example.input));
      const common = ['--v0-compatible', '-d', path.join(dir, 'policies'), '-i', input];
      const opaResult = (JSON.parse(run(['eval', ...common, '--format', 'json', example.document])) as Json).result?.[0]
        ?.expressions?.[0]?.value;
      const ourResult = compiled.evaluate(example.document, { input: example.input, nowNs: example.nowNs });
      // The blackout window depends on the clock: OPA reads the real one, we the case's fixed one.
      if (!example.name.startsWith('blackout') && JSON.stringify(opaResult) !== JSON.stringify(ourResult))
        throw new Error(`${example.name}: opa answers ${JSON.stringify(opaResult)}, we ${JSON.stringify(ourResult)}`);
      const bench = JSON.parse(run(['bench', ...common, '--format', 'json', '--count', '1', example.document])) as {
        Extra: Record<string, number>;
      };
      const opaMs = (bench.Extra['histogram_timer_rego_query_eval_ns_median'] ?? NaN) / 1e6;
      const ourMs = ours.get(example.name) ?? NaN;
      perCase[example.name] = round(ourMs / opaMs, 3);
      process.stdout.write(
        `${example.name.padEnd(44)} ${opaMs.toFixed(4).padStart(10)} ${ourMs.toFixed(4).padStart(10)} ${(ourMs / opaMs).toFixed(2).padStart(7)}\n`,
      );
    });
    const ratios = Object.values(perCase);
    // Overall: the geometric mean of the per-case ratios, so no single slow case dominates.
    const ratioToOpa = Math.exp(ratios.reduce((sum, ratio) => sum + Math.log(ratio), 0) / ratios.length);
    process.stdout.write(
      `ratio to opa (geometric mean of ${ratios.length} cases; < 1 is faster): ${ratioToOpa.toFixed(2)}\n`,
    );
    return { ratioToOpa: round(ratioToOpa, 3), perCase, opaVersion };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Heap retained per compiled example policy: the ten compiled many times over, measured after a full GC. */
function compiledPolicyBytes(): number {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const copies = 50;
  gc();
  const before = process.memoryUsage().heapUsed;
  const kept = Array.from({ length: copies }, () => compile(exampleModules()));
  gc();
  const bytes = (process.memoryUsage().heapUsed - before) / copies / exampleModules().length;
  process.stdout.write(
    `memory: ${(bytes / 1024).toFixed(1)} KiB of heap per compiled example policy (${kept.length} × ${exampleModules().length} compiled)\n`,
  );
  return Math.round(bytes);
}

/** Runs HTTP_CONCURRENCY clients against one URL for HTTP_SECONDS; every answer must be 200. */
async function load(
  url: string,
  init: RequestInit,
): Promise<{ rps: number; medianMs: number; p99Ms: number; cpuMsPerRequest: number }> {
  const latencies: number[] = [];
  const cpuBefore = process.cpuUsage();
  let failures = 0;
  const deadline = Date.now() + HTTP_SECONDS * 1000;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: HTTP_CONCURRENCY }, async () => {
      while (Date.now() < deadline) {
        const sent = process.hrtime.bigint();
        const response = await fetch(url, init);
        await response.arrayBuffer();
        if (response.status === 200) latencies.push(Number(process.hrtime.bigint() - sent) / 1e6);
        else failures++;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuBefore);
  if (failures) throw new Error(`${failures} requests to ${url} failed`);
  latencies.sort((a, b) => a - b);
  // CPU of this process (client and server) per request: steadier than req/s on a shared machine.
  const cpuMsPerRequest = (cpu.user + cpu.system) / 1000 / Math.max(1, latencies.length);
  return {
    rps: latencies.length / seconds,
    medianMs: quantile(latencies, 0.5),
    p99Ms: quantile(latencies, 0.99),
    cpuMsPerRequest,
  };
}

interface PostgresCluster {
  url: string;
  stop(): void;
}

/** A throwaway Postgres cluster (Debian binaries, as the tests use), or undefined to use embedded PGlite. */
function startPostgres(): Promise<PostgresCluster> | undefined {
  if (process.env.DATABASE_URL || process.env.BENCH_EMBEDDED) return undefined;
  const clusterModule = path.join(repoRoot, 'test', 'support', 'postgres-cluster.js');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- plain JS helper shared with jest's global setup
  const { startPostgresCluster } = require(clusterModule) as { startPostgresCluster: () => Promise<PostgresCluster> };
  return startPostgresCluster();
}

async function benchHttp(): Promise<{ httpRps: number; httpMedianMs: number; httpP99Ms: number; database: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sapor-bench-'));
  const cluster = await startPostgres();
  const serviceToken = randomBytes(16).toString('hex');
  const config = saporConfigSchema.parse({
    server: { port: 0, host: '127.0.0.1' },
    database: { url: process.env.DATABASE_URL ?? cluster?.url, embeddedDataDir: dataDir },
    auth: { serviceToken, gateToken: randomBytes(16).toString('hex') },
    log: { level: 'silent' },
    policy: { directory: examplesRoot },
  });
  const sapor = await startService(saporService, config, {
    logger: createLogger({ name: 'sapor', level: 'silent', pretty: false }),
  }).catch((error: unknown) => {
    cluster?.stop();
    throw error;
  });
  try {
    const example = policyCases().find(
      (candidate) => candidate.document === 'data.isd.runtime.separation_of_duty.deny',
    );
    const body = JSON.stringify({ input: example?.input });
    const url = `${sapor.url}/v1/data/isd/runtime/separation_of_duty/deny`;
    const headers = { 'content-type': 'application/json', 'x-isd-service-token': serviceToken };
    const check = await fetch(url, { method: 'POST', headers, body });
    const checked = (await check.json()) as { result?: unknown };
    if (check.status !== 200 || !Array.isArray(checked.result))
      throw new Error(`sapor answered ${check.status} ${JSON.stringify(checked)}`);
    const data = await load(url, { method: 'POST', headers, body });
    // Baseline in the same run: the same HTTP stack answering /healthz (no auth, no database, no policy).
    const baseline = await load(`${sapor.url}/healthz`, {});
    const database = sapor.database.isEmbedded
      ? 'embedded PGlite'
      : cluster
        ? 'Postgres (throwaway local cluster)'
        : 'Postgres (DATABASE_URL)';
    process.stdout.write(
      `HTTP POST /v1/data/isd/runtime/separation_of_duty/deny, ${HTTP_CONCURRENCY} concurrent, ${HTTP_SECONDS} s, ${database}: ` +
        `${data.rps.toFixed(0)} req/s, median ${data.medianMs.toFixed(2)} ms, p99 ${data.p99Ms.toFixed(2)} ms, ${data.cpuMsPerRequest.toFixed(2)} CPU ms/request\n` +
        `baseline GET /healthz on the same server: ${baseline.rps.toFixed(0)} req/s, median ${baseline.medianMs.toFixed(2)} ms, ${baseline.cpuMsPerRequest.toFixed(2)} CPU ms/request ` +
        `(Data API at ${((data.rps / baseline.rps) * 100).toFixed(0)} % of the bare HTTP stack; load average ${os.loadavg()[0]?.toFixed(1)} on ${os.cpus().length} cores)\n`,
    );
    const latencies = { rps: data.rps, medianMs: data.medianMs, p99Ms: data.p99Ms };
    return { httpRps: latencies.rps, httpMedianMs: latencies.medianMs, httpP99Ms: latencies.p99Ms, database };
  } finally {
    await sapor.stop();
    cluster?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  process.stdout.write(
    `policy benchmark: Node ${process.version}, ${os.cpus().length} cores (${os.cpus()[0]?.model ?? 'unknown'})\n`,
  );
  const evaluation = benchEvaluation();
  process.stdout.write(
    `all cases: median ${evaluation.medianMs.toFixed(4)} ms, p99 ${evaluation.p99Ms.toFixed(4)} ms per evaluation; target median < ${TARGET_MEDIAN_MS} ms ` +
      `(${(evaluation.medianMs / TARGET_MEDIAN_MS).toFixed(2)}× the target)\n`,
  );
  const opa = benchOpa(evaluation.perCaseParsedInput);
  if ('skipped' in opa) process.stdout.write(`opa comparison skipped: ${opa.skipped}\n`);
  const bytesPerCompiledPolicy = compiledPolicyBytes();
  const around = benchAroundEvaluation();
  const http = await benchHttp();
  process.stdout.write(
    `${JSON.stringify({ medianMs: round(evaluation.medianMs), p99Ms: round(evaluation.p99Ms), inputParseRatio: round(evaluation.inputParseRatio, 3), answerRatio: round(around.answerRatio, 3), builtInputRatio: round(around.builtInputRatio, 3), ratioToOpa: 'skipped' in opa ? null : opa.ratioToOpa, ratioToOpaPerCase: 'skipped' in opa ? null : opa.perCase, opaVersion: 'skipped' in opa ? null : opa.opaVersion, bytesPerCompiledPolicy, httpRps: Math.round(http.httpRps), httpMedianMs: round(http.httpMedianMs, 2), httpP99Ms: round(http.httpP99Ms, 2), database: http.database })}\n`,
  );
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:policy failed: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  },
);
