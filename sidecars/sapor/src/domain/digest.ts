// Canonical JSON digests: the same document gives the same digest whatever its key order.
import { createHash } from 'node:crypto';

function write(value: unknown, out: string[]): void {
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    out.push('null');
  } else if (Array.isArray(value)) {
    out.push('[');
    value.forEach((item, index) => {
      if (index) out.push(',');
      write(item, out);
    });
    out.push(']');
  } else if (typeof value === 'object') {
    const record = value as Record<string, unknown>;
    out.push('{');
    let first = true;
    for (const key of Object.keys(record).sort()) {
      if (record[key] === undefined) continue;
      if (!first) out.push(',');
      first = false;
      out.push(JSON.stringify(key), ':');
      write(record[key], out);
    }
    out.push('}');
  } else {
    out.push(JSON.stringify(value) ?? 'null');
  }
}

/** JSON with object keys sorted, so equal documents serialise identically. */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

/** `sha256:<hex>` of a document's canonical JSON (undefined counts as null). */
export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value)).digest('hex')}`;
}
