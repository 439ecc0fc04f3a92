// A contract harness for SignalFx's SignalFlow execute endpoint (`POST /v2/signalflow/execute`), written
// from the SignalFlow API documentation: `X-SF-TOKEN` required, start/stop/resolution in ms, the program
// as a text body that must publish a stream; the answer is the documented text/event-stream of
// control-message (STREAM_START, JOB_START, END_OF_CHANNEL), metadata (tsId → properties) and data
// (logicalTimestampMs with one value per tsId) events, or an error event when the computation fails.
import type { RecordedRequest, ReplayResponse } from '../replay-server';

/** One published time series: its properties and points (ms, value or null). */
export interface SignalFxSeries {
  properties: Record<string, string>;
  points: Array<[number, number | null]>;
}

export interface SignalFxCall {
  program: string;
  startMs: number;
  stopMs: number;
  resolutionMs: number;
  immediate: boolean;
}

export interface SignalFxHarnessOptions {
  tokens: string[];
  data: (call: SignalFxCall) => SignalFxSeries[] | { status: number; message: string } | { streamError: string };
}

/** The checks SignalFlow's parser would fail on first: balanced brackets and quotes, a published stream. */
export function signalFlowSyntaxError(program: string): string | undefined {
  const closing: Record<string, string> = { ')': '(', ']': '[', '}': '{' };
  const stack: string[] = [];
  let quote: string | undefined;
  for (let i = 0; i < program.length; i++) {
    const char = program[i]!;
    if (quote) {
      if (char === '\\') i++;
      else if (char === quote) quote = undefined;
      continue;
    }
    if (char === "'" || char === '"') quote = char;
    else if ('([{'.includes(char)) stack.push(char);
    else if (closing[char]) {
      if (stack.pop() !== closing[char]) return `mismatched '${char}' at position ${i + 1}`;
    }
  }
  if (quote) return 'unterminated string literal';
  if (stack.length) return `unclosed '${stack[stack.length - 1]}'`;
  if (!/\.publish\(/.test(program)) return 'the program publishes no stream (add .publish())';
  return undefined;
}

const sse = (event: string, payload: unknown) =>
  `event: ${event}\n${JSON.stringify(payload, null, 2)
    .split('\n')
    .map((line) => `data: ${line}`)
    .join('\n')}\n\n`;

export function signalFxHarness(options: SignalFxHarnessOptions) {
  let handles = 0;
  const handler = (request: RecordedRequest): ReplayResponse => {
    if (request.method !== 'POST' || request.url.pathname !== '/v2/signalflow/execute')
      return { status: 404, body: { code: 404, message: 'Not Found' } };
    const token = request.headers['x-sf-token'];
    if (typeof token !== 'string' || !options.tokens.includes(token))
      return { status: 401, body: { code: 401, message: 'Unauthorized' } };
    const q = request.url.searchParams;
    const number = (key: string) => (/^\d+$/.test(q.get(key) ?? '') ? Number(q.get(key)) : undefined);
    const startMs = number('start');
    const stopMs = number('stop');
    const resolutionMs = number('resolution') ?? 0;
    if (startMs === undefined)
      return { status: 400, body: { code: 400, message: "'start' must be epoch milliseconds" } };
    if (stopMs !== undefined && stopMs <= startMs)
      return { status: 400, body: { code: 400, message: "'stop' must be after 'start'" } };
    if (q.has('resolution') && number('resolution') === undefined)
      return { status: 400, body: { code: 400, message: "'resolution' must be milliseconds" } };
    const program = request.body;
    const syntax = program.trim() ? signalFlowSyntaxError(program) : 'the request body must be a SignalFlow program';
    if (syntax) return { status: 400, body: { code: 400, message: `Invalid SignalFlow program: ${syntax}` } };
    const answer = options.data({
      program,
      startMs,
      stopMs: stopMs ?? Date.now(),
      resolutionMs,
      immediate: q.get('immediate') === 'true',
    });
    if (!Array.isArray(answer) && 'status' in answer)
      return { status: answer.status, body: { code: answer.status, message: answer.message } };
    const handle = `HARNESS${++handles}`;
    let stream = sse('control-message', { event: 'STREAM_START', timestampMs: startMs });
    stream += sse('control-message', { event: 'JOB_START', handle, timestampMs: startMs });
    if (!Array.isArray(answer)) {
      stream += sse('error', {
        context: { handle },
        errors: [{ code: 'ANALYTICS_JOB_ERROR', message: answer.streamError }],
      });
      return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: stream };
    }
    stream += sse('message', {
      logicalTimestampMs: startMs,
      message: { messageCode: 'JOB_RUNNING_RESOLUTION', contents: { resolutionMs } },
    });
    const ids = answer.map((_, index) => `AAAAAAAAA${index}`);
    answer.forEach(
      (series, index) =>
        (stream += sse('metadata', {
          properties: { ...series.properties, sf_key: Object.keys(series.properties), sf_resolutionMs: resolutionMs },
          tsId: ids[index],
        })),
    );
    const times = [...new Set(answer.flatMap((s) => s.points.map(([at]) => at)))]
      .filter((at) => at >= startMs && at <= (stopMs ?? Infinity))
      .sort((a, b) => a - b);
    for (const at of times) {
      const data = answer.flatMap((series, index) => {
        const point = series.points.find(([when]) => when === at);
        return point ? [{ tsId: ids[index], value: point[1] }] : [];
      });
      stream += sse('data', { data, logicalTimestampMs: at, maxDelayMs: 0 });
    }
    stream += sse('control-message', { event: 'END_OF_CHANNEL', timestampMs: stopMs });
    return { status: 200, headers: { 'content-type': 'text/event-stream' }, body: stream };
  };
  return { handler };
}
