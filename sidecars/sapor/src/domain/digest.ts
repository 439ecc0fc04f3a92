// Canonical JSON digests: the same document gives the same digest whatever its key order.
import { createHash } from 'node:crypto';
import { NumberText } from '@isd/rego';

function write(value: unknown, out: string[]): void {
  if (value === null || value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    out.push('null');
  } else if (value instanceof NumberText) {
    // A number as its text (`1.0`, `1e400`), as the policy reads it; a bigint below as its digits.
    out.push(value.text);
  } else if (typeof value === 'bigint') {
    out.push(value.toString());
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

/**
 * JSON with object keys sorted, so equal documents serialise identically; numbers keep their texts
 * (NumberText, bigint), so it is also the text an evaluation reads the document from.
 */
export function canonicalJson(value: unknown): string {
  const out: string[] = [];
  write(value, out);
  return out.join('');
}

/** `sha256:<hex>` of a document's canonical JSON (undefined counts as null). */
export function digestOf(value: unknown): string {
  return digestOfCanonical(canonicalJson(value));
}

/** `sha256:<hex>` of a canonical JSON text already written. */
export function digestOfCanonical(canonical: string): string {
  return `sha256:${createHash('sha256').update(canonical).digest('hex')}`;
}
