import http from 'node:http';
import type { Duplex } from 'node:stream';
import { requestIdOf } from '@isd/kit';
import { rawResponseHead } from './http-headers';

/** Content type of every error body the controller writes (as the kit's HTTP app does). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const codes: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthenticated',
  403: 'forbidden',
  405: 'method_not_allowed',
  413: 'body_too_large',
  501: 'not_implemented',
  502: 'agent_unavailable',
  503: 'unavailable',
};

/**
 * An RFC 9457 problem+json answer in the kit's shape (with the path asked and the request id, also as
 * `x-request-id`), for the proxy paths that do not run on the kit's app.
 */
function problemAnswer(
  req: http.IncomingMessage,
  status: number,
  detail: string,
): { body: string; headers: { name: string; value: string }[] } {
  const requestId = requestIdOf(req);
  const body = JSON.stringify({
    type: `urn:isd:problem:${codes[status] ?? 'tunnel_error'}`,
    title: http.STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    instance: req.url ?? '/',
    requestId,
  });
  const headers = [
    { name: 'Content-Type', value: PROBLEM_CONTENT_TYPE },
    { name: 'Content-Length', value: String(Buffer.byteLength(body)) },
    { name: 'X-Request-Id', value: requestId },
  ];
  return { body, headers };
}

/** Answers `req` with a problem; a response already begun can only be cut. */
export function sendProblem(req: http.IncomingMessage, res: http.ServerResponse, status: number, detail: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const { body, headers } = problemAnswer(req, status, detail);
  res.writeHead(status, Object.fromEntries(headers.map(({ name, value }) => [name.toLowerCase(), value])));
  res.end(body);
}

/** Answers an upgrade request on its raw socket with a problem and closes the connection. */
export function endWithProblem(req: http.IncomingMessage, socket: Duplex, status: number, detail: string): void {
  const { body, headers } = problemAnswer(req, status, detail);
  socket.end(
    rawResponseHead(status, http.STATUS_CODES[status] ?? 'Tunnel Error', [
      ...headers,
      { name: 'Connection', value: 'close' },
    ]) + body,
  );
}
