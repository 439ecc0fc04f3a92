import { parseJSONText, valueToExactJSON } from '@isd/rego';
import { collectDenies, denyMessage, gateOutcome } from './decision';

/** A result as sapor reads one from the engine's text (resultData): numbers keep their texts. */
const exact = (text: string): unknown => valueToExactJSON(parseJSONText(text));

describe('gateOutcome', () => {
  it('denies an undefined document, naming it', () => {
    expect(gateOutcome(undefined, 'data.x.allow')).toEqual({
      status: 'deny',
      messages: ['data.x.allow is undefined: no policy decided, so the gate denies'],
    });
  });

  it('reads booleans, deny lists and decision objects', () => {
    expect(gateOutcome(true, 'd').status).toBe('allow');
    expect(gateOutcome(false, 'd')).toEqual({ status: 'deny', messages: ['d is false'] });
    expect(gateOutcome([], 'd').status).toBe('allow');
    expect(gateOutcome(['no', { msg: 'nope' }], 'd')).toEqual({ status: 'deny', messages: ['no', 'nope'] });
    expect(gateOutcome({ allow: true, deny: [] }, 'd').status).toBe('allow');
    expect(gateOutcome({ allow: true, deny: ['but no'] }, 'd')).toEqual({ status: 'deny', messages: ['but no'] });
    expect(gateOutcome({ deny: [] }, 'd').status).toBe('allow');
    expect(gateOutcome({ allow: false }, 'd')).toEqual({ status: 'deny', messages: ['d.allow is false'] });
  });

  it('refuses results it cannot read as a decision', () => {
    expect(gateOutcome({ something: 1 }, 'd').status).toBe('deny');
    expect(gateOutcome({ allow: 'yes' }, 'd')).toEqual({ status: 'deny', messages: ['d.allow is not a boolean'] });
    expect(gateOutcome(7, 'd').status).toBe('deny');
  });
});

describe('denyMessage', () => {
  it('takes msg, message or alertMsg of objects and JSON otherwise', () => {
    expect(denyMessage({ alertMsg: 'ssd alert', suggestion: 'x' })).toBe('ssd alert');
    expect(denyMessage({ code: 3 })).toBe('{"code":3}');
    expect(denyMessage('x'.repeat(3_000))).toHaveLength(2_001);
  });

  it("writes an entry's numbers as the policy wrote them", () => {
    expect(denyMessage(exact('{"replicas":1.0,"limit":2.50,"id":123456789012345678901234567890}'))).toBe(
      '{"id":123456789012345678901234567890,"limit":2.50,"replicas":1.0}',
    );
    expect(denyMessage(exact('1e400'))).toBe('1e400');
    expect(denyMessage(exact('[-0]'))).toBe('[-0]');
  });
});

describe('numbers kept as text in results', () => {
  it('are numbers, not decision objects, and are named by their text', () => {
    expect(gateOutcome(exact('1.0'), 'd')).toEqual({
      status: 'deny',
      messages: ['d is 1.0, not a boolean, deny set or decision object'],
    });
    expect(gateOutcome(exact('{"allow": true, "deny": [{"over": 1e400}]}'), 'd')).toEqual({
      status: 'deny',
      messages: ['{"over":1e400}'],
    });
    expect(collectDenies(exact('{"deny": [2.50], "sub": 1.0}'), 'data.p')).toEqual([
      { message: '2.50', packagePath: 'data.p' },
    ]);
  });
});

describe('collectDenies', () => {
  it('finds deny sets in a package and its sub-packages', () => {
    const tree = {
      deny: ['top'],
      image_source: { deny: ['sub'], helper: 3 },
      other: { nested: { deny: [{ msg: 'deep' }] } },
    };
    expect(collectDenies(tree, 'data.opa.pipelines')).toEqual([
      { message: 'top', packagePath: 'data.opa.pipelines' },
      { message: 'sub', packagePath: 'data.opa.pipelines.image_source' },
      { message: 'deep', packagePath: 'data.opa.pipelines.other.nested' },
    ]);
    expect(collectDenies(undefined, 'data.x')).toEqual([]);
  });
});
