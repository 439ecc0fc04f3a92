// Gate API contract harness: the one Gate endpoint sapor reads, `GET /pipelines/{executionId}`
// (spinnaker/gate PipelineController.groovy → Orca's execution JSON; an unknown id is 404 from Orca's
// ExecutionNotFoundException). Basic auth is checked when configured, as an internal Gate with
// `security.basicform.enabled` would (spinnaker/gate's FormLoginConfig).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running Gate API harness. */
export interface GateApiHarness {
  url: string;
  /** Executions served, by id; tests add and change them. */
  executions: Map<string, unknown>;
  /** Paths requested so far. */
  requests: Array<{ path: string; authorization: string | undefined }>;
  /** When set, every request answers this status (simulates Gate or Orca failing). */
  failWith: number | undefined;
  close(): Promise<void>;
}

/** Starts the harness on an ephemeral local port. */
export async function startGateApiHarness(
  options: { username?: string; password?: string } = {},
): Promise<GateApiHarness> {
  const harness: Omit<GateApiHarness, 'url' | 'close'> = { executions: new Map(), requests: [], failWith: undefined };
  const expectedAuthorization =
    options.username && options.password
      ? `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`
      : undefined;
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0] ?? '';
    harness.requests.push({ path, authorization: request.headers.authorization });
    const send = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(JSON.stringify(body));
    };
    if (expectedAuthorization && request.headers.authorization !== expectedAuthorization)
      return send(401, { error: 'Unauthorized', status: 401 });
    if (harness.failWith) return send(harness.failWith, { error: 'failure', status: harness.failWith });
    const match = /^\/pipelines\/([^/]+)$/.exec(path);
    if (request.method !== 'GET' || !match) return send(404, { error: 'Not Found', status: 404 });
    const execution = harness.executions.get(decodeURIComponent(match[1] ?? ''));
    if (!execution)
      return send(404, { error: 'Not Found', message: `Execution not found (id: ${match[1]})`, status: 404 });
    return send(200, execution);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(harness, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
