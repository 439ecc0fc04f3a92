// The benchmark's fast fake Prometheus: an in-process HTTP server answering the two calls autopilot makes,
// `/api/v1/query` (the query check at creation; an empty vector) and `/api/v1/query_range` (a matrix on the
// request's step grid). Baseline and canary get the same series, so every window passes and each
// verification runs all its windows. Its own cost per request is a few microseconds: the baseline the
// service's time is measured against, not a model of a real Prometheus.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface FakePrometheus {
  url: string;
  /** Range queries answered so far. */
  rangeQueries(): number;
  close(): Promise<void>;
}

/** A deterministic level with ±5 % noise per (series, timestamp), the same for both sides. */
function valueAt(seriesSeed: number, t: number): number {
  const x = Math.sin(t * 12.9898 + seriesSeed * 78.233) * 43758.5453;
  return 100 * (0.95 + 0.1 * (x - Math.floor(x)));
}

/** The metric name of a query (`latency{…}` → `latency`) picks the series; the scope does not. */
function seedOf(query: string): number {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(query)?.[0] ?? query;
  let hash = 0;
  for (const char of name) hash = (hash * 31 + char.charCodeAt(0)) | 0;
  return hash;
}

export async function startFakePrometheus(): Promise<FakePrometheus> {
  let rangeQueries = 0;
  const server = http.createServer((request, response) => {
    let text = '';
    request.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://prometheus');
      const form = new URLSearchParams(text);
      const param = (name: string) => form.get(name) ?? url.searchParams.get(name);
      const reply = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      if (url.pathname === '/api/v1/query') {
        reply(200, { status: 'success', data: { resultType: 'vector', result: [] } });
        return;
      }
      if (url.pathname !== '/api/v1/query_range') {
        reply(404, { status: 'error', errorType: 'not_found', error: `no route ${url.pathname}` });
        return;
      }
      const start = Number(param('start'));
      const end = Number(param('end'));
      const step = Number(param('step')?.replace(/s$/, ''));
      const query = param('query') ?? '';
      if (!Number.isFinite(start) || !Number.isFinite(end) || !(step > 0) || end < start) {
        reply(400, { status: 'error', errorType: 'bad_data', error: 'start, end and step must be numbers' });
        return;
      }
      rangeQueries++;
      const seed = seedOf(query);
      const values: Array<[number, string]> = [];
      for (let t = Math.ceil(start / step) * step; t <= end; t += step) values.push([t, valueAt(seed, t).toFixed(3)]);
      reply(200, { status: 'success', data: { resultType: 'matrix', result: [{ metric: { job: 'bench' }, values }] } });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    rangeQueries: () => rangeQueries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
