// Loki contract harness: GET /loki/api/v1/query_range as Grafana's HTTP API documentation describes it
// (https://grafana.com/docs/loki/latest/reference/loki-http-api/#query-logs-within-a-range-of-time):
// `query` (LogQL), `start`/`end` in Unix nanoseconds (start inclusive, end exclusive), `limit` (default
// 100, counted over all streams), `direction` forward|backward (default backward); the answer is
// `{status: "success", data: {resultType: "streams", result: [{stream, values: [[ns, line]]}]}}`, and a
// query Loki cannot parse is a 400 with a plain-text `parse error …` body.
// LogQL here: a stream selector of `label="v"`, `label!="v"`, `label=~"re"` matchers and `|= "text"`,
// `!= "text"` line filters. Anything else is answered as Loki answers a parse error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface LokiEntry {
  labels: Record<string, string>;
  /** Unix nanoseconds. */
  ts: bigint;
  line: string;
}

export interface LokiHarness {
  url: string;
  /** Query strings of every query_range request, in order. */
  requests: URLSearchParams[];
  push(entries: LokiEntry[]): void;
  close(): Promise<void>;
}

type Matcher = (labels: Record<string, string>) => boolean;

function parseLogQL(query: string): { matchers: Matcher[]; filters: ((line: string) => boolean)[] } {
  const selector = /^\s*\{([^}]*)\}\s*/.exec(query);
  if (!selector) throw new Error('parse error at line 1, col 1: syntax error: unexpected IDENTIFIER, expecting {');
  const matchers: Matcher[] = [];
  for (const part of selector[1]!.split(',').filter((p) => p.trim() !== '')) {
    const m = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!=|=)\s*"([^"]*)"\s*$/.exec(part);
    if (!m) throw new Error(`parse error : syntax error: unexpected ${JSON.stringify(part.trim())}`);
    const [, label, op, value] = m as unknown as [string, string, string, string];
    if (op === '=') matchers.push((l) => (l[label] ?? '') === value);
    else if (op === '!=') matchers.push((l) => (l[label] ?? '') !== value);
    else matchers.push((l) => new RegExp(`^(?:${value})$`).test(l[label] ?? ''));
  }
  if (matchers.length === 0) throw new Error('parse error : queries require at least one regexp or equality matcher');
  const filters: ((line: string) => boolean)[] = [];
  let rest = query.slice(selector[0].length);
  while (rest.trim() !== '') {
    const f = /^\s*(\|=|!=)\s*"([^"]*)"\s*/.exec(rest);
    if (!f) throw new Error(`parse error : syntax error: unexpected ${JSON.stringify(rest.trim().slice(0, 20))}`);
    const [, op, text] = f as unknown as [string, string, string];
    filters.push(op === '|=' ? (line) => line.includes(text) : (line) => !line.includes(text));
    rest = rest.slice(f[0].length);
  }
  return { matchers, filters };
}

export async function startLokiHarness(): Promise<LokiHarness> {
  const entries: LokiEntry[] = [];
  const requests: URLSearchParams[] = [];
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://loki');
    if (request.method !== 'GET' || url.pathname !== '/loki/api/v1/query_range') {
      response.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    requests.push(url.searchParams);
    const bad = (text: string) => response.writeHead(400, { 'content-type': 'text/plain' }).end(`${text}\n`);
    let parsed: ReturnType<typeof parseLogQL>;
    try {
      parsed = parseLogQL(url.searchParams.get('query') ?? '');
    } catch (error) {
      bad((error as Error).message);
      return;
    }
    const nanos = (name: string, fallback: bigint) => {
      const raw = url.searchParams.get(name);
      return raw === null ? fallback : BigInt(raw);
    };
    let start: bigint, end: bigint;
    try {
      end = nanos('end', BigInt(Date.now()) * 1_000_000n);
      start = nanos('start', end - 3_600_000_000_000n);
    } catch {
      bad('invalid start or end: not a Unix nanosecond timestamp');
      return;
    }
    const limit = Number(url.searchParams.get('limit') ?? 100);
    if (!Number.isInteger(limit) || limit <= 0) {
      bad(`invalid limit: ${url.searchParams.get('limit')}`);
      return;
    }
    const forward = (url.searchParams.get('direction') ?? 'backward') === 'forward';
    const matching = entries
      .filter((e) => e.ts >= start && e.ts < end && parsed.matchers.every((m) => m(e.labels)))
      .filter((e) => parsed.filters.every((f) => f(e.line)))
      .sort((a, b) => (a.ts < b.ts ? -1 : a.ts > b.ts ? 1 : 0) * (forward ? 1 : -1))
      .slice(0, limit);
    const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
    for (const e of matching) {
      const key = JSON.stringify(Object.entries(e.labels).sort());
      const stream = streams.get(key) ?? { stream: e.labels, values: [] };
      stream.values.push([String(e.ts), e.line]);
      streams.set(key, stream);
    }
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ status: 'success', data: { resultType: 'streams', result: [...streams.values()], stats: {} } }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    push: (more) => entries.push(...more),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
