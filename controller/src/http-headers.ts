import { endToEndHeaders, type WireHeader } from '@isd/tunnel-proto';

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

/**
 * Bytes of headers (or trailers) one head from an agent may have, as written (`name: value` and CRLF). The agent
 * reads its target with Node's client, which refuses heads over 16 KiB, so only a hostile agent comes near it.
 */
export const MAX_HEAD_BYTES = 64 * 1024;

// RFC 9110 §5.6.2 token, and Node's own test for a header value (no CR, LF, NUL or other controls).
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/**
 * Why headers from an agent cannot be written to the caller, or undefined when they can. The agent is
 * not trusted with the controller's HTTP framing: a CR/LF in a name or value would add headers (or a
 * whole response) to the caller's connection, and Node throws on one, which ended the controller.
 */
export function invalidHeaders(headers: WireHeader[], what = 'header'): string | undefined {
  // Counted first, so that an agent's 8 MiB frame of headers costs one pass, not the checks below and a head
  // the caller's parser refuses anyway (Node's and most clients' limit is 8-64 KiB).
  let bytes = 0;
  for (const header of headers) bytes += header.name.length + header.value.length + 4;
  if (bytes > MAX_HEAD_BYTES) return `${what}s take ${bytes} bytes; at most ${MAX_HEAD_BYTES}`;
  for (const header of headers) {
    if (!TOKEN.test(header.name)) return `${what} name ${JSON.stringify(header.name.slice(0, 100))} is not a token`;
    if (!FIELD_VALUE.test(header.value)) return `${what} ${header.name} has a control character in its value`;
  }
  return undefined;
}

/** A reason phrase: visible characters, spaces and tabs only (RFC 9112 §4). */
export function invalidStatusMessage(statusMessage: string): string | undefined {
  return FIELD_VALUE.test(statusMessage) ? undefined : 'the status message has a control character';
}

/**
 * The response's single Content-Length, undefined when none, or a reason it is unusable: several
 * different values or a value that is not digits would let the caller and the controller count the body
 * differently, so the bytes after it could be read as the next response on a kept-alive connection.
 */
export function responseContentLength(headers: WireHeader[]): number | undefined | { invalid: string } {
  let length: string | undefined;
  for (const header of headers) {
    if (header.name.toLowerCase() !== 'content-length') continue;
    const value = header.value.trim();
    if (!/^\d{1,15}$/.test(value))
      return { invalid: `Content-Length ${JSON.stringify(value.slice(0, 40))} is not a length` };
    if (length !== undefined && length !== value)
      return { invalid: 'the response has several different Content-Lengths' };
    length = value;
  }
  return length === undefined ? undefined : Number(length);
}

/** Hop-by-hop fields an agent must not set on the controller's answer (the controller frames its own connection). */
export function endToEndResponseHeaders(headers: WireHeader[]): WireHeader[] {
  return endToEndHeaders(flatHeaders(headers), { keep: ['expect', 'content-length'] });
}
