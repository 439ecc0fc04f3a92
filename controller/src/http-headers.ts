import type { WireHeader } from '@isd/tunnel-proto';

// RFC 9110 §7.6.1 connection-specific fields, plus Expect (the controller answers 100-continue itself)
// and Proxy-Connection (legacy clients).
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
  'expect',
]);

/**
 * Converts Node's rawHeaders (name, value, name, value...) into end-to-end wire headers: hop-by-hop
 * fields and any field named in `Connection` are removed; order and duplicates are kept.
 */
export function endToEndHeaders(
  rawHeaders: string[],
  options: { keep?: string[]; drop?: string[] } = {},
): WireHeader[] {
  const dropped = new Set(HOP_BY_HOP);
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    if (rawHeaders[index]?.toLowerCase() === 'connection') {
      for (const token of (rawHeaders[index + 1] ?? '').split(',')) dropped.add(token.trim().toLowerCase());
    }
  }
  for (const name of options.drop ?? []) dropped.add(name);
  for (const name of options.keep ?? []) dropped.delete(name);
  const headers: WireHeader[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index] as string;
    if (!dropped.has(name.toLowerCase())) headers.push({ name, value: rawHeaders[index + 1] as string });
  }
  return headers;
}

/** Flattens wire headers into Node's [name, value, name, value...] array form. */
export function flatHeaders(headers: WireHeader[]): string[] {
  const flat: string[] = [];
  for (const header of headers) flat.push(header.name, header.value);
  return flat;
}

/** Serializes a status line and headers for raw socket writes (1xx, 101, responses to upgrade requests). */
export function rawResponseHead(status: number, statusMessage: string, headers: WireHeader[]): string {
  let head = `HTTP/1.1 ${status} ${statusMessage || 'Unknown'}\r\n`;
  for (const header of headers) head += `${header.name}: ${header.value.replace(/[\r\n]/g, '')}\r\n`;
  return `${head}\r\n`;
}
