// A stand-in for Gate's `/proxies/{service}/**` used through the plugin's real HTTP client: routes by
// method and path to handlers and records every request, so tests assert what the plugin sent.
import type { FetchFunction } from '../src/api/sidecar-client';

/** A request the plugin made. */
export interface RecordedRequest {
  method: string;
  path: string;
  /** Query parameters of the URL. */
  query: Record<string, string>;
  body: unknown;
  headers: Record<string, string>;
}

/** What a handler answers: a JSON body with a status, or a thrown network error. */
export interface FakeResponse {
  status?: number;
  body?: unknown;
  text?: string;
}

type Handler = (request: RecordedRequest) => FakeResponse | Promise<FakeResponse>;

/** Fake Gate: `on('GET /proxies/visibility/api/v1/approvals/x', handler)`, then pass `fetch` to the client. */
export class FakeGate {
  readonly requests: RecordedRequest[] = [];
  private readonly routes = new Map<string, Handler>();
  readonly gateUrl = 'http://gate.test';

  on(route: string, handler: Handler | FakeResponse): this {
    this.routes.set(route, typeof handler === 'function' ? handler : () => handler);
    return this;
  }

  readonly fetch: FetchFunction = async (url, init) => {
    const parsed = new URL(url);
    const method = init.method ?? 'GET';
    const headers = Object.fromEntries(Object.entries((init.headers ?? {}) as Record<string, string>));
    const request: RecordedRequest = {
      method,
      path: parsed.pathname,
      query: Object.fromEntries(parsed.searchParams),
      body: typeof init.body === 'string' ? JSON.parse(init.body) : undefined,
      headers,
    };
    this.requests.push(request);
    const handler = this.routes.get(`${method} ${parsed.pathname}`);
    if (!handler)
      return new Response(JSON.stringify({ message: `no route ${method} ${parsed.pathname}` }), { status: 404 });
    const answer = await handler(request);
    const text = answer.text ?? (answer.body === undefined ? '' : JSON.stringify(answer.body));
    return new Response(text, { status: answer.status ?? 200, headers: { 'Content-Type': 'application/json' } });
  };
}
