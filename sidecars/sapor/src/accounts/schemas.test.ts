import { z } from 'zod';
import { checkPolicySchema, savePolicySchema } from '../api/schemas';
import { accountRequestSchema, accountUpdateSchema } from './schemas';

type Rule = {
  allOf?: Rule[];
  anyOf?: Rule[];
  required?: string[];
  properties?: Record<string, false | { maxItems?: number }>;
};

/**
 * The documents' one-of rules use only allOf, anyOf, required, a property schema `false` (absent) and maxItems:
 * this judges a body by exactly those keywords, to compare the document with the refinements.
 */
function satisfies(body: Record<string, unknown>, rule: Rule): boolean {
  if (rule.allOf && !rule.allOf.every((part) => satisfies(body, part))) return false;
  if (rule.anyOf && !rule.anyOf.some((part) => satisfies(body, part))) return false;
  if (rule.required && !rule.required.every((name) => name in body)) return false;
  return Object.entries(rule.properties ?? {}).every(([name, schema]) => {
    if (!(name in body)) return true;
    if (schema === false) return false;
    return schema.maxItems === undefined || (body[name] as unknown[]).length <= schema.maxItems;
  });
}

/** Every body with each combination of `fields` present, added to `base`. */
function combinations(base: Record<string, unknown>, fields: Record<string, unknown>): Record<string, unknown>[] {
  return Object.entries(fields).reduce<Record<string, unknown>[]>(
    (bodies, [name, value]) => bodies.flatMap((body) => [body, { ...body, [name]: value }]),
    [base],
  );
}

function expectDocumentAgrees(schema: z.ZodType, bodies: Record<string, unknown>[]): void {
  const rule = z.toJSONSchema(schema, { io: 'input' }) as Rule;
  const disagreements = bodies.filter((body) => schema.safeParse(body).success !== satisfies(body, rule));
  expect(disagreements).toEqual([]);
}

describe('the one-of rules the refinements check, as the OpenAPI document says them', () => {
  const kubeconfig = 'apiVersion: v1\nkind: Config\n';
  const accountFields = {
    kubeconfig,
    agent: { name: 'edge' },
    context: 'prod',
    namespaces: ['shop'],
    omitNamespaces: ['kube-system'],
  };

  it('accounts: exactly one of kubeconfig or agent, no context through an agent, not both namespace lists', () => {
    const bodies = [
      ...combinations({ name: 'prod' }, accountFields),
      { name: 'prod', kubeconfig, namespaces: [], omitNamespaces: ['kube-system'] },
    ];
    expect(bodies.filter((body) => accountRequestSchema.safeParse(body).success).length).toBeGreaterThan(2);
    expectDocumentAgrees(accountRequestSchema, bodies);
    expectDocumentAgrees(accountUpdateSchema, bodies);
  });

  it('policies: exactly one of source or modules', () => {
    const bodies = combinations({}, { source: 'package x', modules: [{ name: 'x.rego', source: 'package x' }] });
    expectDocumentAgrees(savePolicySchema, bodies);
    expectDocumentAgrees(checkPolicySchema, bodies);
  });
});
