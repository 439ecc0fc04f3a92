import { z } from 'zod';
import { createVerificationSchema, templateRefSchema, verificationTemplateSchema } from './schemas';

// Found by fuzzing /openapi.json: template versions are Postgres integers, and a larger number reached the
// query as an out-of-range error (a 500) instead of being refused as input.
describe('template reference version', () => {
  it('accepts the largest Postgres integer, as a number or as digits', () => {
    expect(templateRefSchema.safeParse({ name: 'latency', version: 2_147_483_647 }).success).toBe(true);
    expect(templateRefSchema.safeParse({ name: 'latency', version: '999999999' }).success).toBe(true);
  });

  it('refuses a version past it, naming the field', () => {
    const result = templateRefSchema.safeParse({ name: 'latency', version: 2_147_483_648 });
    expect(result.success).toBe(false);
    expect(result.error?.issues[0]?.path).toEqual(['version']);
  });
});

describe("a verification's template: a stored one's reference or an inline one", () => {
  const paths = (value: unknown) =>
    verificationTemplateSchema
      .safeParse(value)
      .error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

  it('takes either form, filling an inline template’s defaults', () => {
    expect(verificationTemplateSchema.parse({ name: 'latency', version: '3' })).toEqual({
      name: 'latency',
      version: 3,
    });
    const inline = verificationTemplateSchema.parse({ metrics: [{ name: 'p99', query: 'x{${scope}}' }] });
    expect(inline).toMatchObject({ name: 'inline', stepSeconds: 60, metrics: [{ name: 'p99', direction: 'either' }] });
  });

  it('names the field in the form the request chose, not "Invalid input"', () => {
    expect(paths({ name: 'no spaces please' })).toEqual(['name: not a template name']);
    expect(paths({ name: 'latency', metrics: [] })).toEqual(['metrics: a template needs at least one metric']);
    expect(paths({ metrics: [{ name: 'a', query: '${namespace}' }] })).toEqual([
      'metrics.0.query: unknown placeholder ${namespace}: use ${scope}, ${scope.<label>} or ${stepSeconds}',
    ]);
    expect(paths({ name: 'latency', colour: 'red' })?.[0]).toMatch(/^: Unrecognized key/);
  });

  it('is documented as anyOf of the two forms, which exclude each other as the choice by `metrics` does', () => {
    const document = z.toJSONSchema(verificationTemplateSchema, { io: 'input' }) as {
      anyOf: { required?: string[]; additionalProperties?: unknown; properties: Record<string, unknown> }[];
      type?: unknown;
    };
    expect(document.type).toBeUndefined();
    const [reference, inline] = document.anyOf;
    expect(reference!.additionalProperties).toBe(false);
    expect(Object.keys(reference!.properties)).not.toContain('metrics');
    expect(inline!.required).toContain('metrics');
  });
});

describe('a verification names a metric template, a log template or both', () => {
  const body = {
    application: 'shop',
    executionId: 'e',
    stageId: 's',
    baseline: { pod: 'a' },
    canary: { pod: 'b' },
    lifetimeMs: 60_000,
  };

  it('refuses neither (null is absent), naming template', () => {
    for (const neither of [body, { ...body, template: null, logTemplate: null }]) {
      const issues = createVerificationSchema.safeParse(neither).error?.issues;
      expect(issues?.map((issue) => issue.path.join('.'))).toEqual(['template']);
    }
    expect(createVerificationSchema.safeParse({ ...body, logTemplate: { name: 'errors' } }).success).toBe(true);
  });

  it('says so in the document', () => {
    const document = z.toJSONSchema(createVerificationSchema, { io: 'input' }) as { anyOf: { required: string[] }[] };
    expect(document.anyOf.map((rule) => rule.required)).toEqual([['template'], ['logTemplate']]);
  });
});
