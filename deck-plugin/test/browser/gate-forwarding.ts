// What every browser test does between the page and the Gate harness: forward `/proxies/**` as an ingress in
// front of Gate would, and log a user in with Gate's session cookie.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GateProxy } from '../../../test/harness/gate';
import type { BrowserSession } from './session';
import type { ProxyHandler } from './test-server';

const forwardedHeaders = ['cookie', 'content-type', 'accept', 'x-ratelimit-app'];

/** The page's proxy handler: each request goes to the Gate harness with the headers a browser sends. */
export function forwardToGate(gate: GateProxy): ProxyHandler {
  return (request: IncomingMessage, body: string, response: ServerResponse) => {
    const headers: Record<string, string> = {};
    for (const name of forwardedHeaders) {
      const value = request.headers[name];
      if (typeof value === 'string') headers[name] = value;
    }
    return fetch(`${gate.baseUrl}${request.url ?? '/'}`, {
      method: request.method,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? undefined : body,
    }).then(async (upstream) => {
      response.writeHead(upstream.status, {
        'Content-Type': upstream.headers.get('content-type') ?? 'application/json',
      });
      response.end(Buffer.from(await upstream.arrayBuffer()));
    });
  };
}

/** Logs `user` in to the Gate harness in the browser: its session cookie, and no other. */
export async function loginInBrowser(session: BrowserSession, gate: GateProxy, user: string): Promise<void> {
  const [name, value] = gate.login(user).split('=') as [string, string];
  await session.context.clearCookies();
  await session.context.addCookies([{ name, value, url: session.origin }]);
}
