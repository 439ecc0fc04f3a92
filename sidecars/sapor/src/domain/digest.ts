// Canonical JSON digests: the same document gives the same digest whatever its key order.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted, so equal documents serialise identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) => {
    if (item && typeof item === 'object' && !Array.isArray(item)) {
      const sorted: Record<string, unknown> = {};
      for (const key of Object.keys(item as Record<string, unknown>).sort()) sorted[key] = (item as Record<string, unknown>)[key];
      return sorted;
    }
    return item;
  }) ?? 'null';
}

/** `sha256:<hex>` of a document's canonical JSON (undefined counts as null). */
export function digestOf(value: unknown): string {
  return `sha256:${createHash('sha256').update(canonicalJson(value ?? null)).digest('hex')}`;
}
