// http.send: off unless the evaluation allows hosts; the synchronous evaluator waits on a worker thread
// that performs the request (Atomics.wait), bounded by the request timeout.
import { MessageChannel, Worker, receiveMessageOnPort } from 'node:worker_threads';
import { RegoObject, isNumber, toJS, type Value } from '../value';
import { parseJSON } from './encoding';
import { BuiltinError, obj, register } from './registry';

const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', async ({ request, port, flag }) => {
  const signal = AbortSignal.timeout(request.timeoutMs);
  let reply;
  try {
    const res = await fetch(request.url, { method: request.method, headers: request.headers, body: request.body, redirect: 'manual', signal });
    // Counted as it arrives (after fetch's gzip/br decoding): a peer's endless or bomb body stops at the limit.
    const chunks = [];
    let size = 0;
    if (res.body) for await (const chunk of res.body) {
      size += chunk.length;
      if (size > request.maxBodyBytes) throw new Error('response body larger than ' + request.maxBodyBytes + ' bytes');
      chunks.push(chunk);
    }
    const buf = Buffer.concat(chunks);
    reply = { status: res.status, statusText: res.statusText, headers: [...res.headers], body: buf.toString('utf8') };
  } catch (err) {
    reply = { error: String(err && err.message || err) };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;

let worker: Worker | undefined;

function getWorker(): Worker {
  if (!worker) {
    worker = new Worker(WORKER_SOURCE, { eval: true });
    worker.unref();
    worker.on('error', () => {
      worker = undefined;
    });
  }
  return worker;
}

/** Keys an http.send request object may have (also checked by providers.aws.sign_req). */
export const ALLOWED_KEYS = new Set([
  'method',
  'url',
  'body',
  'enable_redirect',
  'force_json_decode',
  'force_yaml_decode',
  'headers',
  'raw_body',
  'tls_use_system_certs',
  'tls_ca_cert',
  'tls_ca_cert_file',
  'tls_ca_cert_env_variable',
  'tls_client_cert',
  'tls_client_cert_file',
  'tls_client_cert_env_variable',
  'tls_client_key',
  'tls_client_key_file',
  'tls_client_key_env_variable',
  'tls_insecure_skip_verify',
  'tls_server_name',
  'timeout',
  'cache',
  'force_cache',
  'force_cache_duration_seconds',
  'raise_error',
  'caching_mode',
  'max_retry_attempts',
  'cache_ignored_headers',
]);
const MAX_BODY_BYTES = 10 * 1024 * 1024;

interface Reply {
  status?: number;
  statusText?: string;
  headers?: [string, string][];
  body?: string;
  error?: string;
}

register('http.send', 1, (args, ctx) => {
  const request = obj(args, 0);
  const bad = request.keys().filter((k) => typeof k !== 'string' || !ALLOWED_KEYS.has(k));
  if (bad.length > 0)
    throw new BuiltinError(
      `invalid request parameters(s): {${bad.map((k) => JSON.stringify(k)).join(', ')}}`,
      'eval_type_error',
    );
  const url = request.get('url');
  if (url === undefined) throw new BuiltinError('missing required request parameters(s): {"url"}', 'eval_type_error');
  if (typeof url !== 'string') throw new BuiltinError('"url" must be a string', 'eval_type_error');
  if (!ctx.http) throw new BuiltinError('http.send is disabled (enable it with an allowlist of hosts)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new BuiltinError(`invalid url ${JSON.stringify(url)}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new BuiltinError(`unsupported scheme ${parsed.protocol}`);
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!ctx.http.allowedHosts.includes(host) && !ctx.http.allowedHosts.includes(parsed.host))
    throw new BuiltinError(`host ${JSON.stringify(host)} is not in the allowed hosts`);
  const method = String(request.get('method') ?? 'GET').toUpperCase();
  const headers: Record<string, string> = {};
  const h = request.get('headers');
  if (h instanceof RegoObject)
    for (const [k, v] of h.sortedEntries())
      if (typeof k === 'string') headers[k] = typeof v === 'string' ? v : JSON.stringify(toJS(v));
  let body: string | undefined;
  const raw = request.get('raw_body');
  const b = request.get('body');
  if (typeof raw === 'string') body = raw;
  else if (b !== undefined && b !== null) {
    body = JSON.stringify(toJS(b));
    if (!Object.keys(headers).some((k) => k.toLowerCase() === 'content-type'))
      headers['Content-Type'] = 'application/json';
  }
  const t = request.get('timeout');
  let timeoutMs = ctx.http.timeoutMs;
  if (isNumber(t)) timeoutMs = Math.min(timeoutMs, Number(t) / 1e6);
  else if (typeof t === 'string') {
    const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(t);
    if (m) timeoutMs = Math.min(timeoutMs, Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60000));
  }
  ctx.step(1000);
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  getWorker().postMessage(
    { request: { url, method, headers, body, timeoutMs, maxBodyBytes: MAX_BODY_BYTES }, port: port2, flag },
    [port2],
  );
  Atomics.wait(flag, 0, 0, timeoutMs + 1000);
  const message = receiveMessageOnPort(port1);
  port1.close();
  const reply = (message?.message as Reply | undefined) ?? { error: `request timed out after ${timeoutMs} ms` };
  const raiseError = request.get('raise_error') !== false;
  if (reply.error !== undefined) {
    if (raiseError) throw new BuiltinError(`${method} ${url}: ${reply.error}`);
    return new RegoObject([
      ['status_code', 0],
      ['error', new RegoObject([['message', reply.error]])],
    ]);
  }
  const out = new RegoObject();
  const status = reply.status ?? 0;
  out.set('status', `${status} ${reply.statusText ?? ''}`.trim());
  out.set('status_code', status);
  const respHeaders = new RegoObject();
  for (const [k, v] of reply.headers ?? []) respHeaders.set(k.toLowerCase(), [v]);
  out.set('headers', respHeaders);
  const text = reply.body ?? '';
  out.set('raw_body', text);
  const contentType = (reply.headers ?? []).find(([k]) => k.toLowerCase() === 'content-type')?.[1] ?? '';
  let decoded: Value = null;
  if (text !== '' && (contentType.includes('json') || request.get('force_json_decode') === true)) {
    try {
      decoded = parseJSON(text);
    } catch {
      decoded = null;
    }
  }
  out.set('body', decoded);
  return out;
});
