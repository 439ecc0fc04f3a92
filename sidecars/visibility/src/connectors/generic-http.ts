// Generic JSON over HTTP: GET a configured endpoint (credentials in config) and show chosen fields.
import type { EvidenceRequest } from '../api/schemas';
import { type Connector } from './connector';
import { ConnectorError, fetchJson } from './http-json';

type HttpRequest = Extract<EvidenceRequest, { connector: 'http' }>;

const MAX_VALUE_CHARS = 2_000;

/** Reads `a.b.0.c` (or `a.b[0].c`) from a JSON value; own properties only. */
export function readPath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const part of path
    .replace(/\[(\d+)\]/g, '.$1')
    .split('.')
    .filter(Boolean)) {
    if (current === null || typeof current !== 'object' || !Object.prototype.hasOwnProperty.call(current, part))
      return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

function shown(value: unknown): unknown {
  if (value === undefined) return null;
  const text = JSON.stringify(value);
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : value;
}

/** Generic JSON evidence. */
export const genericHttpConnector: Connector<HttpRequest> = async (request, context) => {
  // The endpoint name comes from the gate request: look it up among the configured names only, so
  // `constructor` is an unknown endpoint rather than Object's.
  const endpoint = new Map(Object.entries(context.config.http)).get(request.endpoint);
  if (!endpoint) throw new ConnectorError(`no http endpoint named ${request.endpoint} is configured (connectors.http)`);
  const body = await fetchJson(endpoint.url, request.path ?? '', {
    headers: endpoint.headers,
    signal: context.signal,
    maxResponseBytes: context.config.maxResponseBytes,
  });
  const fields = Object.entries(request.fields ?? {});
  const values = new Map(fields.map(([label, path]) => [label, shown(readPath(body, path))]));
  const data: Record<string, unknown> = fields.length ? Object.fromEntries(values) : { body: shown(body) };
  return {
    status: 'info',
    ...(request.label ? { label: request.label } : {}),
    summary: fields.length
      ? fields
          .map(([label]) => {
            const value = values.get(label);
            return `${label}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`;
          })
          .join(', ')
          .slice(0, 500)
      : `${request.endpoint}${request.path ?? ''} answered`,
    data,
  };
};
