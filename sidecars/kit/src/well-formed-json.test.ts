import { parseJson } from './well-formed-json';

describe('parseJson', () => {
  it('puts U+FFFD in place of lone surrogates in strings and keys, at any depth', () => {
    expect(parseJson('{"a":"x\\ud800y","\\udc00k":["\\ud83d\\ude00",{"b":"\\udfff\\ud800"}]}')).toEqual({
      a: 'x\ufffdy',
      '\ufffdk': ['\u{1f600}', { b: '\ufffd\ufffd' }],
    });
  });

  it('leaves everything else as JSON.parse reads it, `__proto__` an own key', () => {
    const text = '{"__proto__":{"admin":true},"n":[1,-0,1e3,null,true],"s":"\\u00e9 \\ud83d\\ude00"}';
    const parsed = parseJson(text) as Record<string, unknown>;
    expect(parsed).toEqual(JSON.parse(text));
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(() => parseJson('{"a":')).toThrow(SyntaxError);
  });
});
