import { NumberText } from '@isd/rego';
import { canonicalJson, digestOf } from './digest';

it('serialises like JSON with sorted keys, so key order does not change the digest', () => {
  const value = { b: [1, 'x', null, { d: true, c: 2.5 }], a: { z: undefined, y: 'é"' } };
  expect(canonicalJson(value)).toBe('{"a":{"y":"é\\""},"b":[1,"x",null,{"c":2.5,"d":true}]}');
  expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  expect(digestOf({ a: 1, b: 2 })).toBe(digestOf({ b: 2, a: 1 }));
  expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
  expect(digestOf(undefined)).toBe(digestOf(null));
});

it('writes numbers kept as text with their texts, so 1.0 and 1 differ as they do to a policy', () => {
  const value = { n: new NumberText(1, '1.0'), big: 123456789012345678901234567890n };
  expect(canonicalJson(value)).toBe('{"big":123456789012345678901234567890,"n":1.0}');
  expect(digestOf({ n: new NumberText(1, '1.0') })).not.toBe(digestOf({ n: 1 }));
});
