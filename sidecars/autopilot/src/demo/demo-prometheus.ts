// The demo metrics source `npm start` runs: a small server answering Prometheus's HTTP query API
// (`/api/v1/query_range`, `/api/v1/query`) with synthetic series for a baseline, a healthy canary and a
// degraded canary, at any time in the past or present. It understands a subset of PromQL — a selector
// with label matchers, optionally inside one aggregation — and refuses anything else as Prometheus
// does (400, errorType bad_data), so autopilot's query check and errors behave as with the real thing.
import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { compileLinePattern, type LinePattern } from '../logs/pattern';

/** How one demo deployment's series behave: a mean and a spread per metric. */
interface SeriesShape {
  mean: number;
  spread: number;
}

/** The demo's metrics, per deployment. The degraded canary is slower and fails more often. */
export const DEMO_SERIES: Record<string, Record<string, SeriesShape>> = {
  demo_request_latency_seconds: {
    'demo-baseline': { mean: 0.12, spread: 0.01 },
    'demo-canary-healthy': { mean: 0.12, spread: 0.01 },
    'demo-canary-degraded': { mean: 0.21, spread: 0.015 },
  },
  demo_error_ratio: {
    'demo-baseline': { mean: 0.01, spread: 0.002 },
    'demo-canary-healthy': { mean: 0.01, spread: 0.002 },
    'demo-canary-degraded': { mean: 0.05, spread: 0.006 },
  },
};

/** Labels every demo series carries besides `deployment`. */
const COMMON_LABELS = { namespace: 'demo', app: 'demo' };

/** Most points one range query may return, as Prometheus limits it. */
const MAX_POINTS = 11_000;

const AGGREGATIONS = ['sum', 'avg', 'min', 'max', 'count'] as const;
type Aggregation = (typeof AGGREGATIONS)[number];

interface Matcher {
  label: string;
  op: '=' | '!=' | '=~' | '!~';
  value: string;
}

/** A parsed query: one selector, optionally aggregated. */
export interface DemoQuery {
  aggregation?: Aggregation;
  metric: string;
  matchers: Matcher[];
}

/** A query the demo source cannot read; answered as Prometheus's `bad_data`. */
export class DemoQueryError extends Error {}

/** One series with its labels. */
interface Series {
  labels: Record<string, string>;
  shape: SeriesShape;
}

/**
 * Parses `name{label="v",…}` or `agg(name{…})`. Label values are double- or single-quoted strings with
 * backslash escapes; regex matchers are anchored at both ends, as in PromQL.
 */
export function parseDemoQuery(text: string): DemoQuery {
  let rest = text.trim();
  let aggregation: Aggregation | undefined;
  const aggregated = /^([a-z]+)\s*\(([\s\S]*)\)$/.exec(rest);
  if (aggregated) {
    const name = aggregated[1] as Aggregation;
    if (!AGGREGATIONS.includes(name)) {
      throw new DemoQueryError(
        `parse error: the demo source knows the aggregations ${AGGREGATIONS.join(', ')}, not ${name}`,
      );
    }
    aggregation = name;
    rest = (aggregated[2] ?? '').trim();
  }
  const selector = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(?:\{([\s\S]*)\})?$/.exec(rest);
  if (!selector) {
    throw new DemoQueryError(
      `parse error: the demo source understands a selector such as demo_request_latency_seconds{deployment="demo-baseline"}, optionally inside ${AGGREGATIONS.join('/')}(…); got ${JSON.stringify(text)}`,
    );
  }
  return { aggregation, metric: selector[1] as string, matchers: parseMatchers(selector[2] ?? '') };
}

function parseMatchers(text: string): Matcher[] {
  const matchers: Matcher[] = [];
  const pattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*("(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')\s*(,|$)/y;
  let position = 0;
  while (position < text.length && text.slice(position).trim() !== '') {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (!match)
      throw new DemoQueryError(`parse error: unexpected label matcher at ${JSON.stringify(text.slice(position))}`);
    const quoted = match[3] as string;
    const value = quoted.slice(1, -1).replace(/\\(.)/g, '$1');
    const op = match[2] as Matcher['op'];
    if (op === '=~' || op === '!~') anchoredRegex(value);
    matchers.push({ label: match[1] as string, op, value });
    position = pattern.lastIndex;
  }
  return matchers;
}

// Prometheus matches label regexes with Go's RE2, fully anchored; RE2 also keeps a query from backtracking.
function anchoredRegex(source: string): LinePattern {
  try {
    return compileLinePattern(`^(?:${source})$`);
  } catch (error) {
    throw new DemoQueryError(
      `parse error: invalid regular expression ${JSON.stringify(source)}: ${(error as Error).message}`,
    );
  }
}

function matches(labels: Record<string, string>, matcher: Matcher): boolean {
  // The label name comes from the query, so it is looked up in a Map (a `constructor` label is just absent).
  const value = new Map(Object.entries(labels)).get(matcher.label) ?? '';
  switch (matcher.op) {
    case '=':
      return value === matcher.value;
    case '!=':
      return value !== matcher.value;
    case '=~':
      return anchoredRegex(matcher.value).test(value);
    case '!~':
      return !anchoredRegex(matcher.value).test(value);
  }
}

function selectSeries(query: DemoQuery): Series[] {
  const byDeployment = DEMO_SERIES[query.metric];
  if (!byDeployment) return [];
  return Object.entries(byDeployment)
    .map(([deployment, shape]) => ({
      labels: { __name__: query.metric, ...COMMON_LABELS, deployment },
      shape,
    }))
    .filter((series) => query.matchers.every((matcher) => matches(series.labels, matcher)));
}

/**
 * The value of a series at a time: its mean plus noise that depends only on (series, milliseconds since
 * `originMs`), so every query of the same moment sees the same number, and a healthy canary varies like
 * its baseline. A test that fixes the origin and places its windows relative to it reads the same
 * samples every run, so its verdicts do not depend on the judge's false-alarm rate.
 */
export function sampleAt(
  labels: Record<string, string>,
  shape: SeriesShape,
  timeSeconds: number,
  originMs = 0,
): number {
  const sinceOrigin = Math.round(timeSeconds * 1000) - originMs;
  const digest = createHash('sha256').update(`${labels.__name__}|${labels.deployment}|${sinceOrigin}`).digest();
  // Sum of four uniforms, centred: roughly normal with standard deviation 1.
  let sum = 0;
  for (let i = 0; i < 4; i++) sum += digest.readUInt32BE(i * 4) / 0x1_0000_0000;
  const noise = (sum - 2) / Math.sqrt(4 / 12);
  return Math.max(0, shape.mean + shape.spread * noise);
}

function aggregate(aggregation: Aggregation, values: number[]): number {
  switch (aggregation) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'min':
      return Math.min(...values);
    case 'max':
      return Math.max(...values);
    case 'count':
      return values.length;
  }
}

/** Evaluates a query at the given times: one entry per resulting series, values in time order. */
export function evaluate(
  query: DemoQuery,
  times: number[],
  originMs = 0,
): { metric: Record<string, string>; values: [number, number][] }[] {
  const series = selectSeries(query);
  if (series.length === 0) return [];
  if (query.aggregation) {
    const aggregation = query.aggregation;
    return [
      {
        metric: {},
        values: times.map((time) => [
          time,
          aggregate(
            aggregation,
            series.map((one) => sampleAt(one.labels, one.shape, time, originMs)),
          ),
        ]),
      },
    ];
  }
  return series.map((one) => ({
    metric: one.labels,
    values: times.map((time): [number, number] => [time, sampleAt(one.labels, one.shape, time, originMs)]),
  }));
}

/** Prometheus's time forms: Unix seconds (fractional allowed) or RFC 3339. */
function parseTime(name: string, text: string | undefined, fallback?: number): number {
  if (text === undefined || text === '') {
    if (fallback !== undefined) return fallback;
    throw new DemoQueryError(`bad_data: missing parameter ${name}`);
  }
  const seconds = /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : Date.parse(text) / 1000;
  if (!Number.isFinite(seconds))
    throw new DemoQueryError(`bad_data: invalid parameter "${name}": cannot parse "${text}" to a valid timestamp`);
  return seconds;
}

/** Prometheus's step forms: seconds (fractional allowed) or a duration such as `60s`, `1m`, `1h30m`. */
function parseStep(text: string | undefined): number {
  if (text === undefined || text === '') throw new DemoQueryError('bad_data: missing parameter step');
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800, y: 31_536_000 };
  const pattern = /(\d+)(ms|s|m|h|d|w|y)/y;
  let seconds = 0;
  let position = 0;
  while (position < text.length) {
    pattern.lastIndex = position;
    const match = pattern.exec(text);
    if (!match)
      throw new DemoQueryError(`bad_data: invalid parameter "step": cannot parse "${text}" to a valid duration`);
    seconds += Number(match[1]) * (units[match[2] as string] as number);
    position = pattern.lastIndex;
  }
  return seconds;
}

function rangeTimes(start: number, end: number, step: number): number[] {
  if (step <= 0) throw new DemoQueryError('bad_data: zero or negative query resolution step widths are not accepted');
  if (end < start) throw new DemoQueryError('bad_data: end timestamp must not be before start time');
  if ((end - start) / step + 1 > MAX_POINTS) {
    throw new DemoQueryError(
      'bad_data: exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)',
    );
  }
  const times: number[] = [];
  for (let k = 0; start + k * step <= end; k++) times.push(Math.round((start + k * step) * 1000) / 1000);
  return times;
}

type Answer = { status: number; body: unknown };

/** Answers one API request from its path and form parameters. */
export function answer(path: string, params: URLSearchParams, nowSeconds: number, originMs = 0): Answer {
  try {
    if (path === '/api/v1/query_range') {
      const query = parseDemoQuery(params.get('query') ?? '');
      const times = rangeTimes(
        parseTime('start', params.get('start') ?? undefined),
        parseTime('end', params.get('end') ?? undefined),
        parseStep(params.get('step') ?? undefined),
      );
      const result = evaluate(query, times, originMs).map((series) => ({
        metric: series.metric,
        values: series.values.map(([time, value]) => [time, String(value)]),
      }));
      return { status: 200, body: { status: 'success', data: { resultType: 'matrix', result } } };
    }
    if (path === '/api/v1/query') {
      const query = parseDemoQuery(params.get('query') ?? '');
      const time = parseTime('time', params.get('time') ?? undefined, nowSeconds);
      const result = evaluate(query, [time], originMs).map((series) => ({
        metric: series.metric,
        value: [time, String(series.values[0]?.[1])],
      }));
      return { status: 200, body: { status: 'success', data: { resultType: 'vector', result } } };
    }
    if (path === '/-/ready' || path === '/-/healthy') return { status: 200, body: 'ready' };
    return { status: 404, body: { status: 'error', errorType: 'not_found', error: `no route ${path}` } };
  } catch (error) {
    if (!(error instanceof DemoQueryError)) throw error;
    return { status: 400, body: { status: 'error', errorType: 'bad_data', error: error.message } };
  }
}

/** Largest form body read (a query plus its parameters). */
const MAX_BODY_BYTES = 64 * 1024;

/** A running demo source. */
export interface DemoPrometheus {
  url: string;
  close(): Promise<void>;
}

/**
 * Starts the demo source on `host:port` (0 = any free port). `originMs` fixes the noise's origin (see
 * `sampleAt`); the default, the Unix epoch, gives every moment its own samples.
 */
export async function startDemoPrometheus(
  options: { port?: number; host?: string; now?: () => number; originMs?: number } = {},
): Promise<DemoPrometheus> {
  const originMs = options.originMs ?? 0;
  const now = options.now ?? (() => Date.now() / 1000);
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://demo');
    const reply = ({ status, body }: Answer) => {
      const text = typeof body === 'string' ? body : JSON.stringify(body);
      response.writeHead(status, {
        'content-type': typeof body === 'string' ? 'text/plain' : 'application/json',
        'content-length': Buffer.byteLength(text),
      });
      response.end(text);
    };
    if (request.method === 'GET') return reply(answer(url.pathname, url.searchParams, now(), originMs));
    if (request.method !== 'POST') {
      return reply({ status: 405, body: { status: 'error', errorType: 'bad_data', error: 'GET or POST only' } });
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reply({ status: 413, body: { status: 'error', errorType: 'bad_data', error: 'request body too large' } });
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => {
      if (size > MAX_BODY_BYTES) return;
      // Prometheus reads URL and form parameters together; the form wins.
      const params = new URLSearchParams(url.searchParams);
      for (const [key, value] of new URLSearchParams(Buffer.concat(chunks).toString('utf8'))) params.set(key, value);
      reply(answer(url.pathname, params, now(), originMs));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
