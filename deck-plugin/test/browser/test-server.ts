// The browser test's web server: the host page, the plugin where Gate serves Deck plugins
// (`/plugins/deck/{id}/{version}/index.js`), and `/proxies/**` handed to a proxy handler.
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse, Server } from 'node:http';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

/** Handles `/proxies/**` requests the way Gate's proxy would (forwarding, or answering from fixtures). */
export type ProxyHandler = (request: IncomingMessage, body: string, response: ServerResponse) => void | Promise<void>;

/** Where things are served from. */
export interface TestServerOptions {
  hostDir: string;
  hostHtml: string;
  pluginDir: string;
  pluginPath: string;
  proxy: ProxyHandler;
}

const contentTypes: Record<string, string> = {
  '.js': 'text/javascript',
  '.html': 'text/html',
  '.map': 'application/json',
};
const maxBodyBytes = 1024 * 1024;

/** Starts the server on a free loopback port; resolves with its origin and a close function. */
export async function startTestServer(
  options: TestServerOptions,
): Promise<{ origin: string; close: () => Promise<void>; server: Server }> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBodyBytes) request.destroy();
      else chunks.push(chunk);
    });
    request.on('end', () => {
      void (async () => {
        try {
          if (url.pathname.startsWith('/proxies/')) {
            await options.proxy(request, Buffer.concat(chunks).toString('utf8'), response);
            return;
          }
          const file =
            url.pathname === '/'
              ? options.hostHtml
              : url.pathname.startsWith(`${options.pluginPath}/`)
                ? path.join(options.pluginDir, path.basename(url.pathname))
                : path.join(options.hostDir, path.basename(url.pathname));
          const bytes = readFileSync(file);
          response.writeHead(200, { 'Content-Type': contentTypes[path.extname(file)] ?? 'application/octet-stream' });
          response.end(bytes);
        } catch (error) {
          response.writeHead((error as NodeJS.ErrnoException).code === 'ENOENT' ? 404 : 500, {
            'Content-Type': 'text/plain',
          });
          response.end(String(error));
        }
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
