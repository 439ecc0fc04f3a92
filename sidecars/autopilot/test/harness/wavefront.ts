// A contract harness for Wavefront's chart API (`GET /api/v2/chart/api`), written from its API reference:
// Bearer API token, `q` and `s` required, s/e in epoch ms, granularity one of s/m/h/d, summarization one
// of the documented values; answers with the documented QueryResult (timeseries of [epoch seconds, value]
// pairs) and `{status, message}` errors. The ts() check is the parser's first: balanced parentheses and quotes.
import type { RecordedRequest, ReplayResponse } from '../replay-server';

export interface WavefrontSeries {
  label: string;
  host?: string;
  tags?: Record<string, string>;
  points: Array<[number, number]>;
}

export interface WavefrontCall {
  query: string;
  startMs: number;
  endMs: number;
  granularity: string;
  summarization: string;
  strict: boolean;
}

export interface WavefrontHarnessOptions {
  tokens: string[];
  data: (call: WavefrontCall) => WavefrontSeries[] | { status: number; message: string };
}

const SUMMARIZATIONS = ['MEAN', 'MEDIAN', 'MIN', 'MAX', 'SUM', 'COUNT', 'LAST', 'FIRST'];
const failure = (status: number, message: string): ReplayResponse => ({
  status,
  body: { status: { result: 'ERROR', message, code: status }, message },
});

function syntaxError(query: string): string | undefined {
  let depth = 0;
  let quote = false;
  for (let i = 0; i < query.length; i++) {
    const char = query[i]!;
    if (quote) {
      if (char === '\\') i++;
      else if (char === '"') quote = false;
    } else if (char === '"') quote = true;
    else if (char === '(') depth++;
    else if (char === ')' && --depth < 0) return `Syntax error: unexpected ')' at position ${i + 1}`;
  }
  if (quote) return 'Syntax error: unterminated string';
  if (depth > 0) return "Syntax error: missing ')'";
  if (!/\bts\(/.test(query)) return 'Query must contain a ts() expression';
  return undefined;
}

export function wavefrontHarness(options: WavefrontHarnessOptions) {
  const handler = (request: RecordedRequest): ReplayResponse => {
    if (request.method !== 'GET' || request.url.pathname !== '/api/v2/chart/api') return failure(404, 'Not Found');
    const token = /^Bearer (.+)$/.exec(String(request.headers.authorization ?? ''))?.[1];
    if (!token || !options.tokens.includes(token)) return failure(401, 'Unauthorized: invalid or missing API token');
    const q = request.url.searchParams;
    const query = q.get('q');
    if (!query) return failure(400, "Required parameter 'q' is missing");
    if (!/^\d+$/.test(q.get('s') ?? '')) return failure(400, "Parameter 's' must be epoch milliseconds");
    if (q.has('e') && !/^\d+$/.test(q.get('e')!)) return failure(400, "Parameter 'e' must be epoch milliseconds");
    const granularity = q.get('g') ?? 'm';
    if (!['s', 'm', 'h', 'd'].includes(granularity)) return failure(400, "Parameter 'g' must be one of s, m, h, d");
    const summarization = q.get('summarization') ?? 'MEAN';
    if (!SUMMARIZATIONS.includes(summarization)) return failure(400, `Unknown summarization ${summarization}`);
    const syntax = syntaxError(query);
    if (syntax) return failure(400, syntax);
    const startMs = Number(q.get('s'));
    const endMs = q.has('e') ? Number(q.get('e')) : Date.now();
    const strict = q.get('strict') === 'true';
    const answer = options.data({ query, startMs, endMs, granularity, summarization, strict });
    if (!Array.isArray(answer)) return failure(answer.status, answer.message);
    return {
      status: 200,
      body: {
        name: query,
        query,
        granularity: { s: 1, m: 60, h: 3600, d: 86_400 }[granularity],
        timeseries: answer.map((series) => ({
          label: series.label,
          ...(series.host ? { host: series.host } : {}),
          tags: series.tags ?? {},
          data: series.points
            .filter(([at]) => !strict || (at >= startMs && at <= endMs))
            .map(([at, value]) => [Math.floor(at / 1000), value]),
        })),
        stats: { keys: 1, points: answer.reduce((sum, s) => sum + s.points.length, 0), summaries: 0, latency: 3 },
        events: [],
      },
    };
  };
  return { handler };
}
