import type { WireHeader } from './messages';

// RFC 9110 §7.6.1 connection-specific fields, plus Expect (the controller answers 100-continue itself) and
// Proxy-Connection (legacy clients). Both ends use these: the controller on requests, the agent on responses.
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
