import { evaluateEntries, evaluateTemplate, SpelUnsupportedError, toJson } from './spel';
import type { FailedExpression, SpelContext } from './spel';

const context: SpelContext = {
  root: {
    parameterValues: { groups: [{ name: 'qa', required: 1 }], note: 'say "hi"', empty: null },
    execution: { id: 'E1', application: 'shop', trigger: { user: 'alice' } },
    statusEndpoint: 'http://v.isd.svc/api/v1/approvals/7',
  },
  functions: { toJson, currentStage: () => ({ id: 'S1' }), currentUser: () => 'alice' },
};

describe('SpEL subset with Orca template semantics', () => {
  it('evaluates the expressions the catalog payloads use', () => {
    const failed: FailedExpression[] = [];
    const text =
      '{"e": ${#toJson(execution.id)}, "s": ${#toJson(#currentStage().id)}, "u": ${#toJson(#currentUser())}, "g": ${#toJson(parameterValues[\'groups\'])}}';
    expect(JSON.parse(evaluateTemplate(text, context, failed) as string)).toEqual({
      e: 'E1',
      s: 'S1',
      u: 'alice',
      g: [{ name: 'qa', required: 1 }],
    });
    expect(failed).toEqual([]);
  });

  it('quotes strings through #toJson so quotes cannot break the JSON', () => {
    expect(evaluateTemplate("${#toJson(parameterValues['note'])}", context)).toBe('"say \\"hi\\""');
  });

  it('reads a missing map key as null, by index or by property (allowUnknownKeys), leaving that part literal', () => {
    expect(evaluateTemplate("${#toJson(parameterValues['absent'])}", context)).toBe('null');
    expect(evaluateTemplate('${#toJson(parameterValues.absent)}', context)).toBe('null');
    const failed: FailedExpression[] = [];
    expect(evaluateTemplate('x=${parameterValues.absent}', context, failed)).toBe('x=${parameterValues.absent}');
    expect(failed[0]?.message).toContain('not found');
  });

  it('keeps a null part literal but evaluates the rest of the string', () => {
    const failed: FailedExpression[] = [];
    const result = evaluateTemplate('${statusEndpoint}/cancel for ${missing}', context, failed);
    expect(result).toBe('http://v.isd.svc/api/v1/approvals/7/cancel for ${missing}');
    expect(failed.map((entry) => entry.expression)).toEqual(['${missing}']);
  });

  it('leaves the whole string unevaluated when one expression throws, as ExpressionTransform does', () => {
    const failed: FailedExpression[] = [];
    const text = '${statusEndpoint}/cancel and ${nope.x}';
    expect(evaluateTemplate(text, context, failed)).toBe(text);
    expect(failed[0]?.message).toContain('EL1007E');
  });

  it('fails an unknown property of a Java object such as the execution', () => {
    const strictObjects = new WeakSet<object>([context.root.execution as object]);
    const failed: FailedExpression[] = [];
    expect(evaluateTemplate('${execution.nope}', { ...context, strictObjects }, failed)).toBe('${execution.nope}');
    expect(failed[0]?.message).toContain('EL1008E');
  });

  it('fails #toJson when the value would carry an expression, as kork does', () => {
    const failed: FailedExpression[] = [];
    const local: SpelContext = { ...context, root: { ...context.root, parameterValues: { note: 'run ${evil}' } } };
    expect(evaluateTemplate("${#toJson(parameterValues['note'])}", local, failed)).toBe(
      "${#toJson(parameterValues['note'])}",
    );
    expect(failed[0]?.message).toContain('cannot contain an expression');
  });

  it('returns the typed value for a string that is one expression, or the text when it is null', () => {
    expect(evaluateTemplate("${parameterValues['groups']}", context)).toEqual([{ name: 'qa', required: 1 }]);
    expect(evaluateTemplate('${parameterValues?.empty?.x}', context)).toBe('${parameterValues?.empty?.x}');
  });

  it('evaluates nested maps and lists of a stage context', () => {
    expect(evaluateEntries({ a: ['${execution.id}', 1], b: { c: '${#currentUser()}' } }, context)).toEqual({
      a: ['E1', 1],
      b: { c: 'alice' },
    });
  });

  it('refuses syntax the harness does not implement instead of pretending Orca failed', () => {
    expect(() => evaluateTemplate('${a == b}', context)).toThrow(SpelUnsupportedError);
    expect(() => evaluateTemplate('${execution.id.toUpperCase()}', context)).toThrow(SpelUnsupportedError);
  });
});
