// Gate API contract harness: the Gate endpoints sapor's Gate client calls, written from spinnaker/gate's
// controllers (gate-web/src/main/groovy/com/netflix/spinnaker/gate/controllers/):
// - `GET /applications` (ApplicationController.getAllApplications) → a list of application objects;
// - `GET /applications/{app}/pipelineConfigs` (ApplicationController.getPipelineConfigsForApplication);
// - `GET /applications/{app}/executions/search` (ExecutionsController.searchForPipelineExecutionsByTrigger):
//   `triggerTimeStartBoundary` (default 0) and `triggerTimeEndBoundary` (default Long.MAX_VALUE) in epoch
//   ms compared with the trigger time (`buildTime`), `statuses` and `pipelineName` filters, `startIndex`
//   (default 0) and `size` (default 10) paging, newest first unless `reverse=true`; `*` = every application;
// - `GET /pipelines/{id}` (PipelineController.getPipeline) → the execution, 404 when Orca has none;
// - `POST /pipelines` (PipelineController.savePipeline): runs Orca's savePipeline task and throws
//   (400 with `{error, message, status}`) unless it succeeded; the harness refuses a config without a
//   `name` or `application`, as Front50's validators do; saved configs are upserted by `id`, stamped with
//   `updateTs` and `lastModifiedBy`; Front50's PipelineController refuses a second pipeline of an application
//   with the same name (case-insensitive, another id) and, with `?staleCheck=true`, a config whose `updateTs`
//   differs from the stored one ("The submitted pipeline is stale. …");
// - `GET /credentials` (CredentialsController.getAccounts) → the accounts; with `clouddriverUrl`, every
//   `/credentials` call (POST/PUT/DELETE of the account API too) goes to Clouddriver as Gate's does.
// Authentication as Gate does it for a service: an x509 client certificate on the TLS listener
// (gate-x509 X509Config; principal from the subject CN, Spring's default subject-principal-regex) or HTTP
// basic auth of the one static user (gate-basic BasicAuthConfig). Without either the answer is 401 — even
// with an X-SPINNAKER-USER header, which Gate only honours when authentication is off (kork's
// AuthenticatedRequestFilter). Faults for failure-path tests: `failNext` answers a status,
// `dropNext` cuts the connection, `hangNext` never answers, `down` refuses everything by closing
// connections.
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** Options of the Gate API harness. */
export interface GateApiOptions {
  /** Basic-auth service users (user → password). */
  basicAuthUsers?: Record<string, string>;
  /**
   * Clouddriver behind Gate: every `/credentials` call is forwarded there (Gate's CredentialsController →
   * ClouddriverService) with the principal as X-SPINNAKER-USER; its status and body come back unchanged.
   */
  clouddriverUrl?: string;
  /** Serve https and accept client certificates signed by `clientCaPem` (x509 login). */
  tls?: { certificatePem: string; privateKeyPem: string; clientCaPem: string };
}

/** What the harness saw of one request. */
export interface GateApiRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  /** The authenticated principal, or undefined when the request was refused. */
  principal: string | undefined;
}

/** A running Gate API harness; tests fill and inspect its data. */
export interface GateApiHarness {
  url: string;
  applications: Array<Record<string, unknown>>;
  pipelineConfigs: Array<Record<string, unknown>>;
  executions: Array<Record<string, unknown>>;
  credentials: Array<Record<string, unknown>>;
  requests: GateApiRequest[];
  /** The next `count` authenticated requests answer `status` (default 503). */
  failNext(count: number, status?: number): void;
  /** The next `count` requests have their connection destroyed without an answer. */
  dropNext(count: number): void;
  /** The next `count` requests are never answered (the connection stays open until the client gives up). */
  hangNext(count: number): void;
  /** While true, every connection is destroyed (Gate down). */
  down: boolean;
  close(): Promise<void>;
}

const LONG_MAX = Number.MAX_SAFE_INTEGER;

function triggerTime(execution: Record<string, unknown>): number {
  const trigger = execution.trigger as Record<string, unknown> | undefined;
  const value = execution.buildTime ?? execution.startTime ?? trigger?.buildTime;
  return typeof value === 'number' ? value : 0;
}

function numberParam(query: Record<string, string>, name: string, fallback: number): number | string {
  const raw = query[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  return Number.isInteger(value)
    ? value
    : `Failed to convert value of type 'java.lang.String' to required type 'int'; For input string: "${raw}"`;
}

/** Starts the harness on an ephemeral 127.0.0.1 port. */
export async function startGateApi(options: GateApiOptions = {}): Promise<GateApiHarness> {
  let failures: { count: number; status: number } = { count: 0, status: 503 };
  let drops = 0;
  let hangs = 0;
  let lastUpdateTs = 0;
  const harness = {
    applications: [] as Array<Record<string, unknown>>,
    pipelineConfigs: [] as Array<Record<string, unknown>>,
    executions: [] as Array<Record<string, unknown>>,
    credentials: [] as Array<Record<string, unknown>>,
    requests: [] as GateApiRequest[],
    down: false,
    failNext(count: number, status = 503) {
      failures = { count, status };
    },
    dropNext(count: number) {
      drops = count;
    },
    hangNext(count: number) {
      hangs = count;
    },
  };

  const principalOf = (request: http.IncomingMessage): string | undefined => {
    const socket = request.socket as TLSSocket;
    if (options.tls && socket.authorized) {
      const subject = socket.getPeerCertificate()?.subject as { CN?: string | string[] } | undefined;
      const cn = Array.isArray(subject?.CN) ? subject?.CN[0] : subject?.CN;
      if (cn) return cn;
    }
    const authorization = request.headers.authorization ?? '';
    const basic = /^Basic ([A-Za-z0-9+/=]+)$/.exec(authorization);
    if (!basic || !options.basicAuthUsers) return undefined;
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const user = decoded.slice(0, colon);
    const users = new Map(Object.entries(options.basicAuthUsers));
    return colon > 0 && users.get(user) === decoded.slice(colon + 1) ? user : undefined;
  };

  const handler = (request: http.IncomingMessage, response: http.ServerResponse) => {
    if (harness.down || drops > 0) {
      if (drops > 0) drops -= 1;
      request.socket.destroy();
      return;
    }
    if (hangs > 0) {
      hangs -= 1;
      return;
    }
    const url = new URL(request.url ?? '/', 'http://gate');
    const query: Record<string, string> = {};
    for (const [key, value] of url.searchParams) if (!(key in query)) query[key] = value;
    const principal = principalOf(request);
    harness.requests.push({
      method: request.method ?? '',
      path: url.pathname,
      query,
      headers: request.headers,
      principal,
    });
    const send = (status: number, body?: unknown) => {
      response.writeHead(status, { 'content-type': 'application/json' });
      response.end(body === undefined ? '' : JSON.stringify(body));
    };
    const error = (status: number, message: string) =>
      send(status, { timestamp: Date.now(), status, error: http.STATUS_CODES[status], message, path: url.pathname });
    if (!principal) return error(401, 'Full authentication is required to access this resource');
    if (failures.count > 0) {
      failures.count -= 1;
      return error(failures.status, 'injected failure');
    }
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const method = request.method ?? 'GET';
      if (options.clouddriverUrl && segments[0] === 'credentials') {
        const body = Buffer.concat(chunks);
        fetch(`${options.clouddriverUrl}${url.pathname}${url.search}`, {
          method,
          headers: { 'content-type': 'application/json', 'x-spinnaker-user': principal },
          body: method === 'GET' || method === 'DELETE' ? undefined : body,
        })
          .then(async (upstream) => {
            response.writeHead(upstream.status, { 'content-type': 'application/json' });
            response.end(await upstream.text());
          })
          .catch((cause: Error) => error(502, `Clouddriver is unreachable: ${cause.message}`));
        return;
      }
      if (method === 'GET' && segments.length === 1 && segments[0] === 'applications')
        return send(200, harness.applications);
      if (method === 'GET' && segments.length === 1 && segments[0] === 'credentials')
        return send(200, harness.credentials);
      if (
        method === 'GET' &&
        segments.length === 3 &&
        segments[0] === 'applications' &&
        segments[2] === 'pipelineConfigs'
      )
        return send(
          200,
          harness.pipelineConfigs.filter(
            (config) => String(config.application).toLowerCase() === segments[1]!.toLowerCase(),
          ),
        );
      if (
        method === 'GET' &&
        segments.length === 4 &&
        segments[0] === 'applications' &&
        segments[2] === 'executions' &&
        segments[3] === 'search'
      ) {
        const start = numberParam(query, 'triggerTimeStartBoundary', 0);
        const end = numberParam(query, 'triggerTimeEndBoundary', LONG_MAX);
        const startIndex = numberParam(query, 'startIndex', 0);
        const size = numberParam(query, 'size', 10);
        for (const value of [start, end, startIndex, size]) if (typeof value === 'string') return error(400, value);
        const application = segments[1]!;
        const statuses = query.statuses
          ? new Set(query.statuses.split(',').map((s) => s.trim().toUpperCase()))
          : undefined;
        const matching = harness.executions
          .filter((execution) => application === '*' || String(execution.application) === application)
          .filter((execution) => {
            const at = triggerTime(execution);
            return at >= (start as number) && at <= (end as number);
          })
          .filter((execution) => !statuses || statuses.has(String(execution.status)))
          .filter((execution) => !query.pipelineName || execution.name === query.pipelineName)
          .sort((a, b) => triggerTime(b) - triggerTime(a));
        if (query.reverse === 'true') matching.reverse();
        return send(200, matching.slice(startIndex as number, (startIndex as number) + (size as number)));
      }
      if (method === 'GET' && segments.length === 2 && segments[0] === 'pipelines') {
        const execution = harness.executions.find((candidate) => candidate.id === segments[1]);
        return execution ? send(200, execution) : error(404, `Execution not found (id: ${segments[1]})`);
      }
      if (method === 'POST' && segments.length === 1 && segments[0] === 'pipelines') {
        let pipeline: Record<string, unknown>;
        try {
          pipeline = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
        } catch {
          return error(400, 'JSON parse error');
        }
        if (typeof pipeline.name !== 'string' || typeof pipeline.application !== 'string')
          return error(400, 'Pipeline save operation failed: A pipeline requires name and application fields');
        const id = typeof pipeline.id === 'string' ? pipeline.id : `${pipeline.application}-${pipeline.name}`;
        const name = pipeline.name;
        const application = pipeline.application.toLowerCase();
        const duplicate = harness.pipelineConfigs.some(
          (config) =>
            String(config.application).toLowerCase() === application &&
            String(config.name).toLowerCase() === name.trim().toLowerCase() &&
            config.id !== id,
        );
        if (duplicate)
          return error(400, `A pipeline with name ${name} already exists in application ${pipeline.application}`);
        const stored = harness.pipelineConfigs.find((config) => config.id === id);
        if (query.staleCheck === 'true' && stored && pipeline.updateTs !== undefined) {
          if (String(stored.updateTs) !== String(pipeline.updateTs))
            return error(
              400,
              `The submitted pipeline is stale.  submitted updateTs ${String(pipeline.updateTs)} does not match stored updateTs ${String(stored.updateTs)}`,
            );
        }
        lastUpdateTs = Math.max(Date.now(), lastUpdateTs + 1);
        const saved = { ...pipeline, id, updateTs: String(lastUpdateTs), lastModifiedBy: principal };
        const at = harness.pipelineConfigs.findIndex((config) => config.id === id);
        if (at >= 0) harness.pipelineConfigs[at] = saved;
        else harness.pipelineConfigs.push(saved);
        return send(200);
      }
      return error(404, 'No static resource');
    });
  };

  const server = options.tls
    ? https.createServer(
        {
          cert: options.tls.certificatePem,
          key: options.tls.privateKeyPem,
          ca: options.tls.clientCaPem,
          requestCert: true,
          rejectUnauthorized: false,
        },
        handler,
      )
    : http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(harness, {
    url: `${options.tls ? 'https' : 'http'}://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}
