import { createHash } from 'node:crypto';
import { RESOURCE_TYPES } from './resources';

// Patch media types the harness advertises. Strategic merge patch is deliberately *not* listed: kubectl
// then builds client-side-apply patches from its compiled-in Go types (exact merge keys) instead of
// needing full schemas here; the server still accepts strategic merge patches.
const PATCH_MEDIA_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/apply-patch+yaml',
];

function documentPath(group: string, version: string): string {
  return group ? `apis/${group}/${version}` : `api/${version}`;
}

/**
 * The OpenAPI v3 document for one group version — just enough for kubectl: PATCH operations tagged with
 * `x-kubernetes-group-version-kind` and the `fieldValidation` query parameter, which tells kubectl the
 * server validates fields itself (so it sends `fieldValidation=Strict` instead of downloading schemas).
 */
export function openApiV3Document(group: string, version: string): Record<string, unknown> | undefined {
  const types = RESOURCE_TYPES.filter((type) => type.group === group && type.version === version);
  if (types.length === 0) return undefined;
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (const type of types) {
    const schemaName = `io.k8s.harness.${group || 'core'}.${version}.${type.kind}`;
    schemas[schemaName] = { type: 'object', 'x-kubernetes-group-version-kind': [{ group, version, kind: type.kind }] };
    const prefix = `/${documentPath(group, version)}${type.namespaced ? '/namespaces/{namespace}' : ''}/${type.resource}/{name}`;
    const gvk = { group, version, kind: type.kind };
    const reference = { schema: { $ref: `#/components/schemas/${schemaName}` } };
    paths[prefix] = {
      get: {
        operationId: `read${type.kind}`,
        'x-kubernetes-action': 'get',
        'x-kubernetes-group-version-kind': gvk,
        responses: { '200': { description: 'OK', content: { 'application/json': reference } } },
      },
      patch: {
        operationId: `patch${type.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': gvk,
        parameters: ['dryRun', 'fieldManager', 'fieldValidation', 'force'].map((name) => ({
          name,
          in: 'query',
          schema: { type: name === 'force' ? 'boolean' : 'string' },
        })),
        requestBody: {
          content: Object.fromEntries(PATCH_MEDIA_TYPES.map((media) => [media, { schema: { type: 'object' } }])),
          required: true,
        },
        responses: { '200': { description: 'OK', content: { 'application/json': reference } } },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, components: { schemas } };
}

/** The OpenAPI v3 discovery index (`/openapi/v3`): one entry per group version with a content hash. */
export function openApiV3Index(): Record<string, unknown> {
  const paths: Record<string, unknown> = {};
  const seen = new Set<string>();
  for (const type of RESOURCE_TYPES) {
    const key = documentPath(type.group, type.version);
    if (seen.has(key)) continue;
    seen.add(key);
    const hash = createHash('sha512')
      .update(JSON.stringify(openApiV3Document(type.group, type.version)))
      .digest('hex')
      .slice(0, 32)
      .toUpperCase();
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}

const TOP_LEVEL_FIELDS: Record<string, string[]> = {
  Event: [
    'involvedObject',
    'reason',
    'message',
    'type',
    'count',
    'firstTimestamp',
    'lastTimestamp',
    'eventTime',
    'source',
    'reportingComponent',
    'reportingInstance',
    'action',
    'related',
    'series',
  ],
  ConfigMap: ['data', 'binaryData', 'immutable'],
  Secret: ['data', 'stringData', 'type', 'immutable'],
};

const METADATA_FIELDS = new Set([
  'name',
  'generateName',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'labels',
  'annotations',
  'ownerReferences',
  'finalizers',
  'managedFields',
  'selfLink',
]);

/**
 * `fieldValidation=Strict` for the top level and `metadata` of an object: unknown fields are a 400
 * `strict decoding error`, as the apiserver reports them. Deeper fields are not checked by the harness.
 */
export function unknownFields(kind: string, object: Record<string, unknown>): string[] {
  const allowed = new Set(['apiVersion', 'kind', 'metadata', ...(TOP_LEVEL_FIELDS[kind] ?? ['spec', 'status'])]);
  const unknown = Object.keys(object)
    .filter((field) => !allowed.has(field))
    .map((field) => `unknown field "${field}"`);
  const metadata = object.metadata && typeof object.metadata === 'object' ? Object.keys(object.metadata) : [];
  unknown.push(
    ...metadata.filter((field) => !METADATA_FIELDS.has(field)).map((field) => `unknown field "metadata.${field}"`),
  );
  return unknown;
}

/** Removes the fields {@link unknownFields} reports, as the apiserver's decoder does outside Strict mode. */
export function dropUnknownFields(kind: string, object: Record<string, unknown>): void {
  const allowed = new Set(['apiVersion', 'kind', 'metadata', ...(TOP_LEVEL_FIELDS[kind] ?? ['spec', 'status'])]);
  for (const field of Object.keys(object)) if (!allowed.has(field)) delete object[field];
  const metadata = object.metadata;
  if (metadata && typeof metadata === 'object') {
    for (const field of Object.keys(metadata))
      if (!METADATA_FIELDS.has(field)) delete (metadata as Record<string, unknown>)[field];
  }
}
