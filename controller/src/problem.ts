import http from 'node:http';

/** Content type of every error body the controller writes (as the kit's HTTP app does). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const codes: Record<number, string> = {
  401: 'unauthenticated',
  403: 'forbidden',
  413: 'body_too_large',
  502: 'agent_unavailable',
  503: 'unavailable',
};

/** An RFC 9457 problem+json body in the kit's shape, for the proxy paths that do not run on the kit's app. */
export function problemJson(status: number, detail: string, instance?: string): string {
  return JSON.stringify({
    type: `urn:isd:problem:${codes[status] ?? 'tunnel_error'}`,
    title: http.STATUS_CODES[status] ?? 'Error',
    status,
    detail,
    ...(instance === undefined ? {} : { instance }),
  });
}
