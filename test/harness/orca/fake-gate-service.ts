// A scriptable stand-in for a gate sidecar, used only to test the Orca and Gate harnesses themselves.
// It implements the sidecar side of the gate contract (orca-stages/README.md) in the smallest honest
// way: 401 without the token, idempotent create on (executionId, stageId), 202 + Location, a status
// that follows a script, idempotent cancel. The real sidecars are tested against the harness in test/e2e.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received. */
export interface FakeRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Script of a fake gate service. */
export interface FakeGateServiceOptions {
  /** Collection path, e.g. `/api/v1/approvals`. */
  collectionPath: string;
  /** Token required in `X-ISD-Service-Token` for create/monitor/cancel; absent means none. */
  serviceToken?: string;
  /** Status codes to answer creates with before accepting (e.g. [503] to force a re-POST). */
  createFailures?: number[];
  /** Status words returned by successive polls; the last one repeats. */
  statuses?: string[];
  /** Status codes to answer polls with before answering normally. */
  monitorFailures?: number[];
  /** Answer `Location` relative (`/api/v1/...`) instead of absolute. */
  relativeLocation?: boolean;
  /** Extra fields merged into every status body. */
  extraBody?: Record<string, unknown>;
  /** Port to listen on (to restart a fake where the last one was); 0 picks a free one. */
  port?: number;
  /** Gates to start with, e.g. those of a previous instance ("restart" with the same database). */
  gates?: FakeGateService['gates'];
}

/** A running fake gate service. */
export interface FakeGateService {
  baseUrl: string;
  requests: FakeRequest[];
  /** Gates created so far, by id. */
  gates: Map<
    string,
    { executionId: string; stageId: string; payload: Record<string, unknown>; polls: number; canceled: number }
  >;
  /** Sets the status word every later poll returns. */
  setStatus(word: string): void;
  close(): Promise<void>;
}

/** Starts a fake gate service on a free port. */
export async function startFakeGateService(options: FakeGateServiceOptions): Promise<FakeGateService> {
  const requests: FakeRequest[] = [];
  const gates: FakeGateService['gates'] = options.gates ?? new Map();
  const createFailures = [...(options.createFailures ?? [])];
  const monitorFailures = [...(options.monitorFailures ?? [])];
  let forcedStatus: string | undefined;
  let nextId = gates.size + 1;

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const path = request.url ?? '/';
      requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
      const reply = (status: number, payload?: unknown, headers: Record<string, string> = {}): void => {
        response.writeHead(status, {
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        });
        response.end(payload === undefined ? undefined : JSON.stringify(payload));
      };
      if (options.serviceToken && request.headers['x-isd-service-token'] !== options.serviceToken) {
        reply(401, { error: 'missing or invalid service token' });
        return;
      }
      if (request.method === 'POST' && path === options.collectionPath) {
        const failure = createFailures.shift();
        if (failure) {
          reply(failure, { error: `scripted ${failure}` });
          return;
        }
        let payload: Record<string, unknown>;
        try {
          payload = JSON.parse(body) as Record<string, unknown>;
        } catch {
          // An unevaluated `${#toJson(…)}` makes the template invalid JSON: name the field it sits in.
          const field = /"([A-Za-z]+)"\s*:\s*\$\{/.exec(body)?.[1];
          reply(400, { error: field ? `field ${field} holds an unevaluated expression` : 'body is not JSON' });
          return;
        }
        const literal = Object.entries(payload).find(([, value]) => typeof value === 'string' && value.includes('${'));
        if (literal) {
          reply(400, { error: `field ${literal[0]} holds an unevaluated expression` });
          return;
        }
        const existing = [...gates.entries()].find(
          ([, gate]) => gate.executionId === payload.executionId && gate.stageId === payload.stageId,
        );
        const id = existing ? existing[0] : String(nextId++);
        if (!existing)
          gates.set(id, {
            executionId: String(payload.executionId),
            stageId: String(payload.stageId),
            payload,
            polls: 0,
            canceled: 0,
          });
        const location = `${options.collectionPath}/${id}`;
        const port = (server.address() as AddressInfo).port;
        reply(202, { id }, { location: options.relativeLocation ? location : `http://localhost:${port}${location}` });
        return;
      }
      const match = new RegExp(`^${options.collectionPath}/([^/]+)(/cancel)?$`).exec(path);
      const gate = match ? gates.get(match[1] as string) : undefined;
      if (!match || !gate) {
        reply(404, { error: 'not found' });
        return;
      }
      if (match[2] && request.method === 'POST') {
        gate.canceled += 1;
        reply(200, { id: match[1], status: 'canceled' });
        return;
      }
      if (request.method === 'GET') {
        const failure = monitorFailures.shift();
        if (failure) {
          reply(failure, { error: `scripted ${failure}` });
          return;
        }
        const statuses = options.statuses ?? ['running'];
        const word =
          gate.canceled > 0 ? 'canceled' : (forcedStatus ?? statuses[Math.min(gate.polls, statuses.length - 1)]);
        gate.polls += 1;
        reply(200, { id: match[1], status: word, polls: gate.polls, ...(options.extraBody ?? {}) });
        return;
      }
      reply(405, { error: 'method not allowed' });
    });
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    baseUrl: `http://localhost:${port}`,
    requests,
    gates,
    setStatus(word: string): void {
      forcedStatus = word;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
