// OPA REST API contract harness (open-policy-agent/opa docs rest-api.md, Data API): `POST /v1/data/{path}`
// with `{"input": ...}` answers 200 `{"result": ...}`, or 200 `{}` when the document is undefined; a body
// that is not JSON is 400 `{"code": "invalid_parameter", "message": ...}`; bearer-token auth (`--authentication=token`)
// answers 401 `{"code": "unauthorized"}`. The decisions come from a function the test supplies.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Decides a document: return undefined for an undefined document, or throw to answer 500. */
export type OpaDecide = (path: string[], input: unknown) => unknown;

/** A running OPA API harness. */
export interface OpaApiHarness {
  url: string;
  requests: Array<{ path: string[]; body: unknown; authorization: string | undefined }>;
  close(): Promise<void>;
}

/** Starts the harness on an ephemeral local port. */
export async function startOpaApiHarness(decide: OpaDecide, options: { token?: string } = {}): Promise<OpaApiHarness> {
  const requests: OpaApiHarness['requests'] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const send = (status: number, body: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(JSON.stringify(body));
      };
      const url = new URL(request.url ?? '/', 'http://opa');
      if (options.token && request.headers.authorization !== `Bearer ${options.token}`)
        return send(401, { code: 'unauthorized', message: 'missing or invalid credentials' });
      if (request.method !== 'POST' || !url.pathname.startsWith('/v1/data'))
        return send(404, { code: 'resource_not_found', message: 'not found' });
      const path = url.pathname.slice('/v1/data'.length).split('/').filter(Boolean).map(decodeURIComponent);
      let body: unknown = {};
      const text = Buffer.concat(chunks).toString('utf8');
      if (text) {
        try {
          body = JSON.parse(text);
        } catch (error) {
          return send(400, {
            code: 'invalid_parameter',
            message: `body contains malformed input document: ${(error as Error).message}`,
          });
        }
      }
      requests.push({ path, body, authorization: request.headers.authorization });
      try {
        const result = decide(path, (body as { input?: unknown }).input);
        return send(200, result === undefined ? {} : { result });
      } catch (error) {
        return send(500, { code: 'internal_error', message: (error as Error).message });
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
