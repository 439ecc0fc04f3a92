import { z } from 'zod';
import type { RouteSpec } from './http-app';

/** Title and version of a service's API document. */
export interface OpenApiInfo {
  title: string;
  version: string;
  description?: string;
}

type AnyRoute = RouteSpec<z.ZodType, z.ZodType, z.ZodType>;

/** Builds an OpenAPI 3.1 document from the same zod schemas the routes validate with. */
export function buildOpenApiDocument(info: OpenApiInfo, routes: AnyRoute[]): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const path = route.path.replace(/[:*](\w+)/g, '{$1}');
    const operation: Record<string, unknown> = {
      summary: route.summary,
      tags: route.tags,
      security: securityFor(route.auth),
      parameters: [...parametersOf(route.params, 'path'), ...parametersOf(route.query, 'query')],
      responses: Object.fromEntries(
        Object.entries({ ...kitResponses(route), ...route.responses }).map(([status, response]) => [
          status,
          { description: response.description, ...contentOf(Number(status), response) },
        ]),
      ),
    };
    if (route.body) {
      operation.requestBody = {
        // A body schema that accepts nothing (`.optional()`, `z.unknown()`) makes the body optional.
        required: !route.body.safeParse(undefined).success,
        content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
      };
    }
    paths[path] = { ...paths[path], [route.method]: operation };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Problem: PROBLEM_SCHEMA, JsonWithoutNul: JSON_WITHOUT_NUL_SCHEMA },
      securitySchemes: {
        serviceToken: { type: 'apiKey', in: 'header', name: 'X-ISD-Service-Token', description: 'Orca service token' },
        gateUser: {
          type: 'apiKey',
          in: 'header',
          name: 'X-ISD-Gate-Token',
          description: 'Gate proxy credential; X-SPINNAKER-USER names the user',
        },
      },
    },
  };
}

/** The problem+json body every error answer has (HttpApp's sendProblem). */
const PROBLEM_SCHEMA = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string', description: 'urn:isd:problem:<code>' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    instance: { type: 'string' },
    requestId: { type: 'string' },
    field: { type: 'string', description: 'the first invalid field, e.g. body.approverGroups.0.name' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
};

/**
 * The refusals HttpApp itself answers before a handler runs, so every operation documents them: 400 for an
 * invalid input, 401/403 for missing or insufficient credentials, 429 for a caller at its limit of requests in
 * flight, 413/415 for an oversized or non-JSON body.
 * A route's own entry for the same status replaces these.
 */
function kitResponses(route: AnyRoute): AnyRoute['responses'] {
  const responses: Record<number, { description: string }> = {};
  if (route.params || route.query || route.body) {
    responses[400] = { description: 'an input is invalid; `field` and `errors` name it' };
  }
  if (route.auth !== 'public') {
    responses[401] = { description: 'no or wrong credentials' };
    responses[403] = { description: 'the caller may not do this' };
    responses[429] = {
      description:
        'the caller already has its limit of requests in flight (server.userInFlightLimit, server.serviceInFlightLimit); retry after Retry-After seconds',
    };
  }
  if (route.body || route.rawBody) {
    responses[413] = { description: 'the body is larger than the limit' };
    if (!route.rawBody) responses[415] = { description: 'the body is not JSON' };
  }
  return responses;
}

/** A response's media types: its JSON schema, the other types it may be sent as, or problem+json for an error. */
function contentOf(
  status: number,
  response: AnyRoute['responses'][number],
): { content?: Record<string, { schema: Record<string, unknown> }> } {
  const content: Record<string, { schema: Record<string, unknown> }> = {};
  if (response.schema) content['application/json'] = { schema: jsonSchema(response.schema, 'output') };
  for (const type of response.otherContentTypes ?? []) content[type] = { schema: { type: 'string' } };
  if (Object.keys(content).length === 0 && status >= 400) {
    content['application/problem+json'] = { schema: { $ref: '#/components/schemas/Problem' } };
  }
  return Object.keys(content).length ? { content } : {};
}

function securityFor(auth: AnyRoute['auth']): Record<string, string[]>[] | undefined {
  if (auth === 'service') return [{ serviceToken: [] }];
  if (auth === 'user') return [{ gateUser: [] }];
  if (auth === 'service-or-user') return [{ serviceToken: [] }, { gateUser: [] }];
  return undefined;
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<
    string,
    unknown
  >;
  return io === 'input' ? withoutNul(rest) : rest;
}

/** A string without U+0000 (HttpApp refuses any input string or key holding it: Postgres cannot store it). */
const NO_NUL_PATTERN = '^[^\\u0000]*$';

/**
 * Says HttpApp's NUL rule in an input schema: every string gets the NUL-free pattern (beside its own, if any),
 * every object's keys too, and a schema that accepts any value (`{}`, from z.unknown) becomes any JSON value
 * without NUL, a recursive definition in components.
 */
function withoutNul(schema: Record<string, unknown>): Record<string, unknown> {
  if (Object.keys(schema).length === 0) return { $ref: '#/components/schemas/JsonWithoutNul' };
  const result: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(schema)) {
    if (SUBSCHEMA_KEYS.has(key) && isSchema(value)) result[key] = withoutNul(value);
    else if (SUBSCHEMA_LIST_KEYS.has(key) && Array.isArray(value)) {
      result[key] = value.map((item) => (isSchema(item) ? withoutNul(item) : item));
    } else if (SUBSCHEMA_MAP_KEYS.has(key) && isSchema(value)) {
      result[key] = Object.fromEntries(
        Object.entries(value).map(([name, item]) => [name, isSchema(item) ? withoutNul(item) : item]),
      );
    } else result[key] = value;
  }
  const types = Array.isArray(schema.type) ? (schema.type as unknown[]) : [schema.type];
  if (types.includes('string') && schema.enum === undefined && schema.const === undefined) {
    if (schema.pattern === undefined) result.pattern = NO_NUL_PATTERN;
    else if (!excludesNul(String(schema.pattern))) {
      result.allOf = [...((result.allOf as unknown[]) ?? []), { pattern: NO_NUL_PATTERN }];
    }
  }
  if (types.includes('object') && schema.propertyNames === undefined && !keysExcludeNul(schema)) {
    result.propertyNames = { pattern: NO_NUL_PATTERN };
  }
  return result;
}

/**
 * Whether a pattern cannot match a string holding U+0000: anchored at both ends, with no alternation, wildcard,
 * negated class or escape that could match it. (Adding the NUL pattern beside such a pattern only makes generators
 * filter more; a conservative answer, false when unsure.)
 */
function excludesNul(pattern: string): boolean {
  if (!pattern.startsWith('^') || !pattern.endsWith('$')) return false;
  // An escaped backslash, then an escaped dot, are plain characters: dropped before looking for the others.
  const rest = pattern.replace(/\\\\/g, '').replace(/\\\./g, '');
  if (/\[\^|\\[DSWPux0cs]|\|/.test(rest)) return false;
  // A dot inside a (positive) character class is a plain dot; outside one it is any character.
  return !rest.replace(/\[[^\]]*\]/g, '').includes('.');
}

/** Whether an object schema's keys are only its named properties and patterns that cannot hold U+0000. */
function keysExcludeNul(schema: Record<string, unknown>): boolean {
  if (schema.additionalProperties !== false) return false;
  const names = Object.keys(isSchema(schema.properties) ? schema.properties : {});
  const patterns = Object.keys(isSchema(schema.patternProperties) ? schema.patternProperties : {});
  return names.every((name) => !name.includes('\u0000')) && patterns.every(excludesNul);
}

const SUBSCHEMA_KEYS = new Set(['items', 'additionalProperties', 'not', 'propertyNames', 'contains']);
const SUBSCHEMA_LIST_KEYS = new Set(['anyOf', 'oneOf', 'allOf', 'prefixItems']);
const SUBSCHEMA_MAP_KEYS = new Set(['properties', 'patternProperties', '$defs', 'definitions']);

function isSchema(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Any JSON value with no U+0000 in a string or key: what a z.unknown() input accepts past HttpApp. */
const JSON_WITHOUT_NUL_SCHEMA = {
  anyOf: [
    { type: ['null', 'boolean', 'number'] },
    { type: 'string', pattern: NO_NUL_PATTERN },
    { type: 'array', items: { $ref: '#/components/schemas/JsonWithoutNul' } },
    {
      type: 'object',
      propertyNames: { pattern: NO_NUL_PATTERN },
      additionalProperties: { $ref: '#/components/schemas/JsonWithoutNul' },
    },
  ],
};

function parametersOf(schema: z.ZodType | undefined, location: 'path' | 'query'): Record<string, unknown>[] {
  if (!schema) return [];
  const object = jsonSchema(schema, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(object.properties ?? {}).map(([name, property]) => ({
    name,
    in: location,
    required: location === 'path' || (object.required ?? []).includes(name),
    schema: property,
  }));
}
