// Document paths: `isd/deploy/allowed` (OPA's URL form) or `isd.deploy.allowed` → `data.isd.deploy.allowed`.
import { InputError } from '@isd/kit';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const MAX_SEGMENTS = 64;

/** Splits a document path given as `a/b/c` or `a.b.c` (an optional leading `data` is dropped) into segments. */
export function parseDocumentPath(text: string, field: string): string[] {
  const trimmed = text.trim().replace(/^\/+|\/+$/g, '');
  if (trimmed === '') return [];
  const segments = (trimmed.includes('/') ? trimmed.split('/') : trimmed.split('.')).map((segment) => segment.trim());
  if (segments[0] === 'data') segments.shift();
  return checkSegments(segments, field);
}

/** Checks path segments from a URL: non-empty, no quotes or backslashes, bounded in number. */
export function checkSegments(segments: string[], field: string): string[] {
  if (segments.length > MAX_SEGMENTS)
    throw new InputError(`${field}: a document path has at most ${MAX_SEGMENTS} segments`, {
      issues: [{ path: field, message: 'too many segments' }],
    });
  for (const segment of segments) {
    if (segment === '' || /["\\\u0000-\u001f]/.test(segment)) {
      throw new InputError(
        `${field}: invalid path segment ${JSON.stringify(segment)} (empty, or holds a quote, backslash or control character)`,
        {
          code: 'invalid_path',
          issues: [{ path: field, message: 'invalid path segment' }],
        },
      );
    }
  }
  return segments;
}

/** The Rego reference of a document: `data.a.b` or `data.a["b-c"]`. */
export function documentRef(segments: string[]): string {
  return [
    'data',
    ...segments.map((segment) => (IDENTIFIER.test(segment) ? `.${segment}` : `[${JSON.stringify(segment)}]`)),
  ]
    .join('')
    .replace(/^data\./, 'data.');
}

/** `a.b.c` for logs and decisions. */
export function dottedPath(segments: string[]): string {
  return ['data', ...segments].join('.');
}
