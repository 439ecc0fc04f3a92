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
      schemas: { Problem: PROBLEM_SCHEMA },
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
 * invalid input, 401/403 for missing or insufficient credentials, 413/415 for an oversized or non-JSON body.
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
  return rest;
}

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
