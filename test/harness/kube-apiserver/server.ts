import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { gzipSync } from 'node:zlib';
import { parse as parseYaml } from 'yaml';
import { WebSocketServer } from 'ws';
import { createTestCa } from '@isd/test-support';
import { badRequest, StatusError } from './errors';
import type { KubeObject, ResourceType } from './resources';
import {
  AGGREGATED_DISCOVERY_MEDIA_TYPE,
  aggregatedDiscovery,
  apiResourceList,
  findResourceType,
  groupVersion,
  RESOURCE_TYPES,
} from './resources';
import { ObjectStore } from './store';
import type { PodPortResolver, RemoteCommandRequest } from './streaming';
import { servePortForwardSession, serveSpdyCommand, serveWebSocketCommand } from './streaming';

/** Options for {@link startKubeApiServer}. */
export interface KubeApiServerOptions {
  /** Bearer token every request must carry; random when omitted. */
  token?: string;
  /** Extra DNS names for the serving certificate. */
  hostNames?: string[];
  /** Refuse WebSocket upgrades with a fast 400, so clients must fall back to SPDY (as behind an old proxy). */
  refuseWebSocket?: boolean;
  /** Refuse SPDY upgrades with a fast 400. */
  refuseSpdy?: boolean;
  /** Where pod ports forward to; by default 127.0.0.1 on the same port number. */
  resolvePodPort?: PodPortResolver;
  /** Largest request body accepted, in bytes (413 above it). */
  maxBodyBytes?: number;
}

/** One request as the harness saw it, for tests that pin what the client sent. */
export interface RecordedRequest {
  method: string;
  url: string;
  accept: string;
  contentType: string;
  upgrade: string;
  protocols: string;
  userAgent: string;
  acceptEncoding: string;
}

/** A running harness. */
export interface KubeApiServer {
  url: string;
  caPem: string;
  token: string;
  store: ObjectStore;
  requests: RecordedRequest[];
  options: KubeApiServerOptions;
  /** Cuts every open connection mid-stream, as an apiserver crash would, and keeps listening. */
  dropConnections(): void;
  /** Closes the listener and every open connection (watches, log follows, exec sessions). */
  stop(): Promise<void>;
}

const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;

interface Route {
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

// Parses /api/v1/... and /apis/{group}/{version}/... into (type, namespace, name, subresource).
function parseResourcePath(pathname: string): Route | undefined {
  const segments = pathname
    .split('/')
    .filter((segment) => segment.length > 0)
    .map(decodeURIComponent);
  let group = '';
  let rest: string[];
  let version: string;
  if (segments[0] === 'api' && segments.length >= 3) {
    version = segments[1] ?? '';
    rest = segments.slice(2);
  } else if (segments[0] === 'apis' && segments.length >= 4) {
    group = segments[1] ?? '';
    version = segments[2] ?? '';
    rest = segments.slice(3);
  } else {
    return undefined;
  }
  let namespace: string | undefined;
  if (rest[0] === 'namespaces' && rest.length >= 3) {
    const candidate = findResourceType(group, version, rest[2] ?? '');
    if (candidate?.namespaced) {
      namespace = rest[1];
      rest = rest.slice(2);
    }
  }
  const type = findResourceType(group, version, rest[0] ?? '');
  if (!type || rest.length > 3) return undefined;
  return { type, namespace, name: rest[1], subresource: rest[2] };
}

// The apiserver gzips responses over 128 KiB for clients that accept it (APIResponseCompression);
// big lists through the tunnel therefore arrive compressed, as they would from a real cluster.
const GZIP_THRESHOLD_BYTES = 128 * 1024;

function sendJson(response: ServerResponse, code: number, body: unknown): void {
  const text = Buffer.from(JSON.stringify(body));
  const headers: Record<string, string | number> = {
    'Content-Type': 'application/json',
    'Cache-Control': 'no-cache, private',
  };
  const acceptsGzip = /\bgzip\b/.test(String(response.req?.headers['accept-encoding'] ?? ''));
  const payload = acceptsGzip && text.length >= GZIP_THRESHOLD_BYTES ? gzipSync(text) : text;
  if (payload !== text) headers['Content-Encoding'] = 'gzip';
  headers['Content-Length'] = payload.length;
  response.writeHead(code, headers);
  response.end(payload);
}

function sendError(response: ServerResponse, error: unknown): void {
  const status =
    error instanceof StatusError
      ? error
      : new StatusError(500, 'InternalError', `Internal error occurred: ${(error as Error).message}`);
  if (response.headersSent) {
    response.destroy();
    return;
  }
  sendJson(response, status.code, status.toStatus());
}

// kubectl asks `application/json;as=Table;v=v1;g=meta.k8s.io` for `get`; clients of metadata-only lists
// ask `as=PartialObjectMetadataList`. Anything else gets plain JSON.
function wantsAs(accept: string, as: string): boolean {
  return accept.split(',').some((part) => part.includes(`as=${as}`) && part.includes('g=meta.k8s.io'));
}

function acceptsJson(accept: string): boolean {
  if (!accept) return true;
  return accept.split(',').some((part) => {
    const media = part.split(';')[0]?.trim() ?? '';
    return media === 'application/json' || media === '*/*' || media === 'application/*' || media === 'application/yaml';
  });
}

function metadataOnly(object: KubeObject): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: object.metadata };
}

function toTable(
  type: ResourceType,
  objects: KubeObject[],
  resourceVersion: string,
  includeObject: string,
  withColumns: boolean,
): Record<string, unknown> {
  const nowMs = Date.now();
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: withColumns ? type.columns : [],
    rows: objects.map((object) => ({
      cells: type.cells(object, nowMs),
      object: includeObject === 'None' ? undefined : includeObject === 'Object' ? object : metadataOnly(object),
    })),
  };
}

async function readBody(request: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > maxBytes)
      throw new StatusError(413, 'RequestEntityTooLarge', `request body is larger than ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseBody(body: Buffer, contentType: string): unknown {
  const text = body.toString('utf8');
  if (text.trim() === '') throw badRequest('the request body is empty');
  try {
    // apply-patch+yaml carries YAML (kubectl sends JSON, which is YAML too).
    return contentType.includes('yaml') ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `the request body is not valid ${contentType.includes('yaml') ? 'YAML' : 'JSON'}: ${(error as Error).message}`,
    );
  }
}

function asObject(value: unknown, what: string): KubeObject {
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw badRequest(`${what} must be a JSON object`);
  const object = value as KubeObject;
  object.metadata = object.metadata && typeof object.metadata === 'object' ? object.metadata : {};
  return object;
}

/** Where API behaviour is tested instead: this harness serves only what needs a kubelet. */
const API_ELSEWHERE =
  'It serves only what needs a kubelet (exec, attach, logs, port-forward); test API behaviour against the real kube-apiserver (test/support/kube-apiserver.ts).';

function checkKind(type: ResourceType, object: KubeObject): void {
  if (object.kind && object.kind !== type.kind) {
    throw badRequest(
      `the body kind "${String(object.kind)}" does not match the resource ${type.resource} (kind ${type.kind})`,
    );
  }
  if (object.apiVersion && object.apiVersion !== groupVersion(type)) {
    throw badRequest(`the body apiVersion "${String(object.apiVersion)}" does not match ${groupVersion(type)}`);
  }
}

const MAX_WATCH_SECONDS = 3600;

/** Starts the Kubernetes API server contract harness on 127.0.0.1 (random port), HTTPS with its own CA. */
export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const token = options.token ?? `harness-${randomBytes(16).toString('hex')}`;
  // A throwaway CA and a serving certificate for loopback, localhost and any extra host names.
  const ca = createTestCa('isd-test-kube-apiserver-ca');
  const certificates = {
    ca,
    serving: ca.issue({
      commonName: 'kube-apiserver',
      serverNames: ['127.0.0.1', '::1', 'localhost', 'kubernetes.default.svc', ...(options.hostNames ?? [])],
    }),
  };
  const store = new ObjectStore();
  const requests: RecordedRequest[] = [];
  const sockets = new Set<net.Socket>();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const resolvePodPort: PodPortResolver = (namespace, pod, port) =>
    (options.resolvePodPort ?? (() => ({ host: '127.0.0.1', port })))(namespace, pod, port);
  const webSockets = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  // `SPDY/3.1+portforward.k8s.io` contains "/" and "+", which `ws` rejects as a subprotocol token; the
  // harness takes that header out before `ws` validates it and names the protocol in the 101 itself.
  const rawProtocols = new WeakMap<IncomingMessage, string>();
  webSockets.on('headers', (headers: string[], request: IncomingMessage) => {
    const protocol = rawProtocols.get(request);
    if (protocol) headers.push(`Sec-WebSocket-Protocol: ${protocol}`);
  });

  const record = (request: IncomingMessage) => {
    requests.push({
      method: request.method ?? '',
      url: request.url ?? '',
      accept: request.headers.accept ?? '',
      contentType: request.headers['content-type'] ?? '',
      upgrade: request.headers.upgrade ?? '',
      protocols: String(
        request.headers['sec-websocket-protocol'] ?? request.headers['x-stream-protocol-version'] ?? '',
      ),
      userAgent: request.headers['user-agent'] ?? '',
      acceptEncoding: String(request.headers['accept-encoding'] ?? ''),
    });
    if (requests.length > 5000) requests.shift();
  };

  const authenticate = (request: IncomingMessage) => {
    if (request.headers.authorization !== `Bearer ${token}`) throw new StatusError(401, 'Unauthorized', 'Unauthorized');
  };

  const server = https.createServer(
    { key: certificates.serving.privateKeyPem, cert: certificates.serving.certificatePem },
    (request, response) => {
      record(request);
      handle(request, response).catch((error: unknown) => sendError(response, error));
    },
  );
  server.on('connection', (socket: net.Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'https://harness');
    const method = request.method ?? 'GET';
    if (url.pathname === '/healthz' || url.pathname === '/readyz' || url.pathname === '/livez') {
      response.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
      return;
    }
    authenticate(request);
    const accept = request.headers.accept ?? '';
    if (method === 'GET' && url.pathname === '/version') {
      return sendJson(response, 200, {
        major: '1',
        minor: '32',
        gitVersion: 'v1.32.0-isd-harness',
        gitCommit: '0000000000000000000000000000000000000000',
        gitTreeState: 'clean',
        buildDate: '2026-01-01T00:00:00Z',
        goVersion: 'go1.23.0',
        compiler: 'gc',
        platform: 'linux/amd64',
      });
    }
    if (
      method === 'GET' &&
      (url.pathname === '/api' || url.pathname === '/apis') &&
      accept.includes('g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList')
    ) {
      const text = JSON.stringify(aggregatedDiscovery(url.pathname === '/api'));
      response.writeHead(200, {
        'Content-Type': AGGREGATED_DISCOVERY_MEDIA_TYPE,
        'Content-Length': Buffer.byteLength(text),
      });
      response.end(text);
      return;
    }
    if (method === 'GET' && url.pathname === '/api') {
      return sendJson(response, 200, {
        kind: 'APIVersions',
        versions: ['v1'],
        serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: request.headers.host ?? '' }],
      });
    }
    if (method === 'GET' && url.pathname === '/apis') {
      const groups = [...new Set(RESOURCE_TYPES.filter((type) => type.group).map((type) => type.group))].map(
        (name) => ({
          name,
          versions: [{ groupVersion: `${name}/v1`, version: 'v1' }],
          preferredVersion: { groupVersion: `${name}/v1`, version: 'v1' },
        }),
      );
      return sendJson(response, 200, { kind: 'APIGroupList', apiVersion: 'v1', groups });
    }
    if (method === 'GET' && url.pathname === '/openapi/v2') {
      // No definitions: kubectl then skips client-side schema validation and builds strategic merge
      // patches from its compiled-in types. kubectl asks for protobuf; zero bytes are an empty Document.
      if (accept.includes('application/com.github.proto-openapi.spec.v2')) {
        response.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': 0 }).end();
        return;
      }
      return sendJson(response, 200, {
        swagger: '2.0',
        info: { title: 'Kubernetes', version: 'v1.32.0' },
        paths: {},
        definitions: {},
      });
    }
    const discovery = /^\/(?:api\/(v1)|apis\/([^/]+)\/([^/]+))\/?$/.exec(url.pathname);
    if (method === 'GET' && discovery) {
      const list = apiResourceList(discovery[2] ?? '', discovery[1] ?? discovery[3] ?? '');
      if (list) return sendJson(response, 200, list);
    }
    const route = parseResourcePath(url.pathname);
    if (!route) throw new StatusError(404, 'NotFound', 'the server could not find the requested resource');
    if (!acceptsJson(accept))
      throw new StatusError(406, 'NotAcceptable', `only application/json is served, not ${accept}`);
    if (route.subresource === 'log') return serveLog(route, url, response, request);
    if (route.subresource === 'exec' || route.subresource === 'attach' || route.subresource === 'portforward') {
      throw badRequest(`Upgrade request required: ${route.subresource} needs a WebSocket or SPDY upgrade`);
    }
    if (route.subresource && route.subresource !== 'status') {
      throw new StatusError(
        404,
        'NotFound',
        `the server could not find the requested resource (subresource ${route.subresource})`,
      );
    }
    const { type, namespace, name } = route;
    if (type.namespaced && name && !namespace)
      throw new StatusError(404, 'NotFound', 'a namespaced object needs a namespace in the path');
    switch (method) {
      case 'GET':
        if (!name)
          return url.searchParams.get('watch') === 'true' || url.searchParams.get('watch') === '1'
            ? serveWatch(route, url, accept, request, response)
            : serveList(route, url, accept, response);
        if (wantsAs(accept, 'Table')) {
          const object = store.get(type, namespace, name);
          return sendJson(
            response,
            200,
            toTable(
              type,
              [object],
              String(object.metadata.resourceVersion),
              url.searchParams.get('includeObject') ?? 'Metadata',
              true,
            ),
          );
        }
        if (wantsAs(accept, 'PartialObjectMetadata'))
          return sendJson(response, 200, metadataOnly(store.get(type, namespace, name)));
        return sendJson(response, 200, store.get(type, namespace, name));
      case 'POST': {
        if (name) throw new StatusError(405, 'MethodNotAllowed', 'POST is not allowed on a named object');
        const object = asObject(
          parseBody(await readBody(request, maxBodyBytes), request.headers['content-type'] ?? ''),
          'the object',
        );
        checkKind(type, object);
        if (url.searchParams.get('dryRun') === 'All')
          return sendJson(response, 201, { ...object, apiVersion: groupVersion(type), kind: type.kind });
        return sendJson(response, 201, store.create(type, namespace, object));
      }
      case 'PUT': {
        if (!name) throw new StatusError(405, 'MethodNotAllowed', 'PUT needs an object name');
        const object = asObject(
          parseBody(await readBody(request, maxBodyBytes), request.headers['content-type'] ?? ''),
          'the object',
        );
        checkKind(type, object);
        return sendJson(response, 200, store.update(type, namespace, name, object));
      }
      case 'PATCH':
        throw new StatusError(405, 'MethodNotAllowed', `PATCH is not served by this harness. ${API_ELSEWHERE}`);
      case 'DELETE': {
        if (!name) {
          const deleted = store
            .list(type, { namespace, matches: selectorOf(url) })
            .map((object) => store.delete(type, namespace, object.metadata.name ?? ''));
          return sendJson(response, 200, {
            kind: type.listKind,
            apiVersion: groupVersion(type),
            metadata: { resourceVersion: String(store.resourceVersion) },
            items: deleted,
          });
        }
        const deleted = store.delete(type, namespace, name);
        return sendJson(response, 200, deleted);
      }
      default:
        throw new StatusError(405, 'MethodNotAllowed', `method ${method} is not allowed`);
    }
  }

  /** Selectors are refused, never ignored: an unfiltered answer would pass for a filtered one. */
  function selectorOf(url: URL): (object: KubeObject) => boolean {
    if (url.searchParams.has('labelSelector') || url.searchParams.has('fieldSelector'))
      throw badRequest(`label and field selectors are not served by this harness. ${API_ELSEWHERE}`);
    return () => true;
  }

  function serveList(route: Route, url: URL, accept: string, response: ServerResponse): void {
    const items = store.list(route.type, { namespace: route.namespace, matches: selectorOf(url) });
    const resourceVersion = String(store.resourceVersion);
    if (wantsAs(accept, 'Table'))
      return sendJson(
        response,
        200,
        toTable(route.type, items, resourceVersion, url.searchParams.get('includeObject') ?? 'Metadata', true),
      );
    if (wantsAs(accept, 'PartialObjectMetadataList')) {
      return sendJson(response, 200, {
        kind: 'PartialObjectMetadataList',
        apiVersion: 'meta.k8s.io/v1',
        metadata: { resourceVersion },
        items: items.map(metadataOnly),
      });
    }
    sendJson(response, 200, {
      kind: route.type.listKind,
      apiVersion: groupVersion(route.type),
      metadata: { resourceVersion },
      items,
    });
  }

  function serveWatch(
    route: Route,
    url: URL,
    accept: string,
    request: IncomingMessage,
    response: ServerResponse,
  ): void {
    const matches = selectorOf(url);
    const requested = url.searchParams.get('resourceVersion') ?? '';
    if (requested !== '' && !/^\d+$/.test(requested))
      throw badRequest(`resourceVersion "${requested}" is not a valid resource version`);
    const asTable = wantsAs(accept, 'Table');
    const includeObject = url.searchParams.get('includeObject') ?? 'Metadata';
    const timeoutSeconds = Math.min(
      Number(url.searchParams.get('timeoutSeconds') ?? MAX_WATCH_SECONDS) || MAX_WATCH_SECONDS,
      MAX_WATCH_SECONDS,
    );
    const bookmarks = url.searchParams.get('allowWatchBookmarks') === 'true';
    let sentColumns = false;
    const encode = (type: string, object: KubeObject) => {
      if (type === 'BOOKMARK' || !asTable) return JSON.stringify({ type, object }) + '\n';
      // The first event's Table carries the column definitions; later ones only rows, like the apiserver.
      const table = toTable(route.type, [object], String(object.metadata.resourceVersion), includeObject, !sentColumns);
      sentColumns = true;
      return JSON.stringify({ type, object: table }) + '\n';
    };
    const inScope = (object: KubeObject) =>
      (!route.type.namespaced || !route.namespace || object.metadata.namespace === route.namespace) && matches(object);
    // "" and "0" mean "start from now, after a synthetic ADDED for everything that exists".
    const fromNow = requested === '' || requested === '0';
    const startVersion = fromNow ? store.resourceVersion : Number(requested);
    response.writeHead(200, {
      'Content-Type': 'application/json',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    response.flushHeaders();
    if (fromNow) {
      for (const object of store.list(route.type, { namespace: route.namespace, matches }))
        response.write(encode('ADDED', object));
      if (url.searchParams.get('sendInitialEvents') === 'true' && bookmarks) {
        response.write(
          encode('BOOKMARK', {
            apiVersion: groupVersion(route.type),
            kind: route.type.kind,
            metadata: { resourceVersion: String(startVersion), annotations: { 'k8s.io/initial-events-end': 'true' } },
          }),
        );
      }
    }
    let unsubscribe: () => void = () => undefined;
    try {
      unsubscribe = store.watch(route.type, startVersion, (event) => {
        if (inScope(event.object)) response.write(encode(event.type, event.object));
      });
    } catch (error) {
      // A resume point that was compacted away: the apiserver answers with an ERROR event carrying 410.
      const status = error instanceof StatusError ? error.toStatus() : { message: String(error) };
      response.end(JSON.stringify({ type: 'ERROR', object: status }) + '\n');
      return;
    }
    const timeout = setTimeout(() => response.end(), timeoutSeconds * 1000);
    const bookmarkTimer = bookmarks
      ? setInterval(
          () =>
            response.write(
              encode('BOOKMARK', {
                apiVersion: groupVersion(route.type),
                kind: route.type.kind,
                metadata: { resourceVersion: String(store.resourceVersion) },
              }),
            ),
          60_000,
        )
      : undefined;
    const cleanup = () => {
      unsubscribe();
      clearTimeout(timeout);
      if (bookmarkTimer) clearInterval(bookmarkTimer);
    };
    request.on('close', cleanup);
    response.on('close', cleanup);
  }

  function serveLog(route: Route, url: URL, response: ServerResponse, request: IncomingMessage): void {
    if (route.type.kind !== 'Pod' || !route.name || !route.namespace)
      throw new StatusError(404, 'NotFound', 'logs exist only for pods');
    const pod = store.get(route.type, route.namespace, route.name);
    const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map(
      (container) => container.name,
    );
    const container = url.searchParams.get('container') ?? '';
    if (container && !containers.includes(container))
      throw badRequest(`container ${container} is not valid for pod ${route.name}`);
    if (!container && containers.length > 1) {
      throw badRequest(
        `a container name must be specified for pod ${route.name}, choose one of: [${containers.join(' ')}]`,
      );
    }
    const follow = url.searchParams.get('follow') === 'true';
    const timestamps = url.searchParams.get('timestamps') === 'true';
    const tailLines = url.searchParams.has('tailLines') ? Number(url.searchParams.get('tailLines')) : undefined;
    if (tailLines !== undefined && (!Number.isInteger(tailLines) || tailLines < 0))
      throw badRequest('tailLines must be a non-negative integer');
    const format = (line: string) => (timestamps ? `${new Date().toISOString()} ${line}\n` : `${line}\n`);
    response.writeHead(200, {
      'Content-Type': 'text/plain',
      'Transfer-Encoding': 'chunked',
      'Cache-Control': 'no-cache, private',
    });
    const log = store.podLog(
      route.namespace,
      route.name,
      follow ? (line) => (line === undefined ? response.end() : response.write(format(line))) : undefined,
    );
    const lines = tailLines === undefined ? log.lines : log.lines.slice(Math.max(0, log.lines.length - tailLines));
    for (const line of lines) response.write(format(line));
    if (!follow) {
      response.end();
      return;
    }
    response.flushHeaders();
    request.on('close', log.unsubscribe);
    response.on('close', log.unsubscribe);
  }

  function rejectUpgrade(socket: net.Socket, status: StatusError): void {
    const body = JSON.stringify(status.toStatus());
    const reason = status.code === 401 ? 'Unauthorized' : status.code === 404 ? 'Not Found' : 'Bad Request';
    socket.end(
      `HTTP/1.1 ${status.code} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }

  server.on('upgrade', (request: IncomingMessage, socket: net.Socket, head: Buffer) => {
    record(request);
    socket.on('error', () => undefined);
    try {
      authenticate(request);
      const url = new URL(request.url ?? '/', 'https://harness');
      const route = parseResourcePath(url.pathname);
      if (
        !route ||
        route.type.kind !== 'Pod' ||
        !route.name ||
        !route.namespace ||
        !['exec', 'attach', 'portforward'].includes(route.subresource ?? '')
      ) {
        throw new StatusError(
          404,
          'NotFound',
          'upgrades are served only for pods/exec, pods/attach and pods/portforward',
        );
      }
      const pod = store.get(route.type, route.namespace, route.name);
      const upgrade = (request.headers.upgrade ?? '').toLowerCase();
      if (route.subresource === 'portforward')
        return upgradePortForward(request, socket, head, upgrade, route.namespace, route.name);
      const containers = ((pod.spec as { containers?: { name: string }[] } | undefined)?.containers ?? []).map(
        (container) => container.name,
      );
      const container = url.searchParams.get('container') ?? containers[0] ?? '';
      if (!containers.includes(container))
        throw badRequest(`container ${container} is not valid for pod ${route.name}`);
      const command = url.searchParams.getAll('command');
      if (route.subresource === 'exec' && command.length === 0) throw badRequest('you must specify at least 1 command');
      const commandRequest: RemoteCommandRequest = {
        kind: route.subresource === 'attach' ? 'attach' : 'exec',
        pod,
        container,
        command,
        stdin: url.searchParams.get('stdin') === 'true',
        stdout: url.searchParams.get('stdout') === 'true',
        stderr: url.searchParams.get('stderr') === 'true',
        tty: url.searchParams.get('tty') === 'true',
        files: store.podFiles(route.namespace, route.name),
      };
      const attachLines = (listener: (line: string) => void) =>
        store.podLog(route.namespace ?? '', route.name ?? '', (line) => line !== undefined && listener(line))
          .unsubscribe;
      if (upgrade === 'websocket') {
        if (options.refuseWebSocket)
          throw badRequest('WebSocket upgrades are refused by this harness (refuseWebSocket)');
        const offered = String(request.headers['sec-websocket-protocol'] ?? '')
          .split(',')
          .map((value) => value.trim());
        const protocol = ['v5.channel.k8s.io', 'v4.channel.k8s.io'].find((candidate) => offered.includes(candidate));
        if (!protocol)
          throw badRequest(
            `no supported WebSocket subprotocol among [${offered.join(', ')}]; this server speaks v5.channel.k8s.io and v4.channel.k8s.io`,
          );
        webSockets.handleUpgrade(request, socket, head, (webSocket) =>
          serveWebSocketCommand(webSocket, commandRequest, attachLines),
        );
        return;
      }
      if (upgrade === 'spdy/3.1') {
        if (options.refuseSpdy) throw badRequest('SPDY upgrades are refused by this harness (refuseSpdy)');
        const offered = String(request.headers['x-stream-protocol-version'] ?? '')
          .split(',')
          .map((value) => value.trim());
        if (!offered.includes('v4.channel.k8s.io'))
          throw badRequest(
            `no supported stream protocol among [${offered.join(', ')}]; this server speaks v4.channel.k8s.io`,
          );
        socket.write(
          'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n',
        );
        serveSpdyCommand(socket, head, commandRequest, attachLines);
        return;
      }
      throw badRequest(`unsupported upgrade "${request.headers.upgrade ?? ''}": use websocket or SPDY/3.1`);
    } catch (error) {
      rejectUpgrade(
        socket,
        error instanceof StatusError ? error : new StatusError(500, 'InternalError', String(error)),
      );
    }
  });

  function upgradePortForward(
    request: IncomingMessage,
    socket: net.Socket,
    head: Buffer,
    upgrade: string,
    namespace: string,
    podName: string,
  ): void {
    if (upgrade === 'websocket') {
      if (options.refuseWebSocket) throw badRequest('WebSocket upgrades are refused by this harness (refuseWebSocket)');
      const offered = String(request.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((value) => value.trim());
      // KEP-4006: port-forward over WebSocket tunnels the SPDY session itself inside binary messages.
      if (!offered.includes('SPDY/3.1+portforward.k8s.io'))
        throw badRequest(
          `no supported WebSocket subprotocol among [${offered.join(', ')}]; this server speaks SPDY/3.1+portforward.k8s.io`,
        );
      rawProtocols.set(request, 'SPDY/3.1+portforward.k8s.io');
      delete request.headers['sec-websocket-protocol'];
      webSockets.handleUpgrade(request, socket, head, (webSocket) => {
        const session = servePortForwardSession(
          (bytes) => webSocket.readyState === webSocket.OPEN && webSocket.send(bytes, { binary: true }),
          namespace,
          podName,
          resolvePodPort,
          () => webSocket.close(1002),
        );
        webSocket.on('message', (message: Buffer) => session.receive(Buffer.from(message)));
        webSocket.on('close', () => session.transportClosed());
      });
      return;
    }
    if (upgrade === 'spdy/3.1') {
      if (options.refuseSpdy) throw badRequest('SPDY upgrades are refused by this harness (refuseSpdy)');
      const offered = String(request.headers['x-stream-protocol-version'] ?? '')
        .split(',')
        .map((value) => value.trim());
      if (!offered.includes('portforward.k8s.io'))
        throw badRequest(
          `no supported stream protocol among [${offered.join(', ')}]; this server speaks portforward.k8s.io`,
        );
      socket.write(
        'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: portforward.k8s.io\r\n\r\n',
      );
      const session = servePortForwardSession(
        (bytes) => !socket.destroyed && socket.write(bytes),
        namespace,
        podName,
        resolvePodPort,
        () => socket.destroy(),
      );
      socket.on('data', (bytes: Buffer) => session.receive(bytes));
      socket.on('close', () => session.transportClosed());
      if (head.length > 0) session.receive(head);
      return;
    }
    throw badRequest(`unsupported upgrade "${request.headers.upgrade ?? ''}": use websocket or SPDY/3.1`);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address() as net.AddressInfo;

  return {
    url: `https://127.0.0.1:${address.port}`,
    caPem: certificates.ca.certificatePem,
    token,
    store,
    requests,
    options,
    dropConnections() {
      for (const client of webSockets.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
    },
    async stop() {
      for (const client of webSockets.clients) client.terminate();
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
