import { z } from 'zod';
import { buildOpenApiDocument } from './openapi';

/** The JSON Schema of the body of the only route of a document built for `body`. */
function bodySchemaOf(body: z.ZodType): Record<string, unknown> {
  const document = buildOpenApiDocument({ title: 't', version: '1' }, [
    { method: 'post', path: '/x', summary: 'x', auth: 'public', body, responses: { 200: { description: 'ok' } } },
  ]) as { paths: Record<string, { post: { requestBody: { content: Record<string, { schema: unknown }> } } }> };
  return document.paths['/x']!.post.requestBody.content['application/json']!.schema as Record<string, unknown>;
}

describe('the NUL rule HttpApp enforces, in the document', () => {
  const noNul = (pattern: unknown) => new RegExp(String(pattern), 'u');

  it('gives every input string a pattern that refuses U+0000', () => {
    const schema = bodySchemaOf(z.object({ text: z.string() })) as { properties: { text: { pattern: string } } };
    expect(noNul(schema.properties.text.pattern).test('a\u0000b')).toBe(false);
    expect(noNul(schema.properties.text.pattern).test('ab')).toBe(true);
  });

  it('keeps a string its own pattern, adding the NUL one only when that pattern could match U+0000', () => {
    const schema = bodySchemaOf(
      z.object({ plain: z.string().regex(/^[a-z.]+$/), wild: z.string().regex(/^a.b$/) }),
    ) as { properties: Record<string, { pattern: string; allOf?: { pattern: string }[] }> };
    expect(schema.properties.plain).toEqual({ type: 'string', pattern: '^[a-z.]+$' });
    expect(schema.properties.wild!.pattern).toBe('^a.b$');
    expect(noNul(schema.properties.wild!.allOf![0]!.pattern).test('a\u0000b')).toBe(false);
  });

  it("refuses U+0000 in a record's keys and in any value of z.unknown()", () => {
    const document = buildOpenApiDocument({ title: 't', version: '1' }, []) as {
      components: { schemas: Record<string, unknown> };
    };
    const schema = bodySchemaOf(z.record(z.string(), z.unknown())) as {
      propertyNames: { pattern: string };
      additionalProperties: unknown;
    };
    expect(noNul(schema.propertyNames.pattern).test('k\u0000')).toBe(false);
    expect(schema.additionalProperties).toEqual({ $ref: '#/components/schemas/JsonWithoutNul' });
    expect(document.components.schemas.JsonWithoutNul).toMatchObject({ anyOf: expect.any(Array) });
  });

  it('leaves output schemas as they are', () => {
    const document = buildOpenApiDocument({ title: 't', version: '1' }, [
      {
        method: 'get',
        path: '/x',
        summary: 'x',
        auth: 'public',
        responses: { 200: { description: 'ok', schema: z.object({ text: z.string() }) } },
      },
    ]) as { paths: Record<string, { get: { responses: Record<string, { content: Record<string, unknown> }> } }> };
    expect(document.paths['/x']!.get.responses['200']!.content['application/json']).toEqual({
      schema: expect.objectContaining({ properties: { text: { type: 'string' } } }),
    });
  });
});
