import { parseJson, parsePeerJson, storable, withoutNulEscapes } from './well-formed-json';

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

describe('JSON from peers', () => {
  it('turns NUL characters and lone surrogates in strings and keys into U+FFFD', () => {
    expect(parsePeerJson('{"a\\u0000": ["x\\u0000y", "\\ud800", "\\ud83d\\ude00"], "n": 1}')).toEqual({
      'a\ufffd': ['x\ufffdy', '\ufffd', '\ud83d\ude00'],
      n: 1,
    });
  });

  it('keeps __proto__ as an own key', () => {
    const parsed = parsePeerJson('{"__proto__": {"polluted": "\\u0000"}}') as Record<string, unknown>;
    expect(Object.getPrototypeOf(parsed)).toBe(Object.prototype);
    expect(Object.keys(parsed)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('leaves a client’s NUL for the HTTP layer to refuse by name', () => {
    expect(parseJson('"a\\u0000"')).toBe('a\u0000');
  });

  it('makes a value built from peer text storable', () => {
    expect(storable({ error: 'answered 500: \u0000', list: ['\udc00'] })).toEqual({
      error: 'answered 500: \ufffd',
      list: ['\ufffd'],
    });
  });

  it('turns NUL escapes of a JSON text into U+FFFD escapes, leaving an escaped backslash before u0000 alone', () => {
    const text = '{"a\\u0000": "x\\u0000y", "path": "C:\\\\u0000", "n": 1.0}';
    expect(JSON.parse(withoutNulEscapes(text))).toEqual({ 'a\ufffd': 'x\ufffdy', path: 'C:\\u0000', n: 1 });
    expect(withoutNulEscapes(text)).toContain('1.0');
    expect(withoutNulEscapes('{"plain": 1}')).toBe('{"plain": 1}');
  });
});
