import { canonicalJson, digestOf } from './digest';

describe('digestOf', () => {
  it('does not depend on key order', () => {
    expect(digestOf({ b: 1, a: [{ y: 2, x: 1 }] })).toBe(digestOf({ a: [{ x: 1, y: 2 }], b: 1 }));
    expect(canonicalJson({ b: 1, a: null })).toBe('{"a":null,"b":1}');
  });

  it('changes when a value changes', () => {
    expect(digestOf([{ status: 'pass' }])).not.toBe(digestOf([{ status: 'fail' }]));
    expect(digestOf([])).toMatch(/^sha256:[0-9a-f]{64}$/);
  });
});
