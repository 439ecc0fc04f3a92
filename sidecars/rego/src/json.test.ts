// JSON text to Rego values keeping numbers' texts. Expected results of policies are what `opa eval -i`
// (v1.22.4) gives on the same input file; JSON.parse (the old way in) made 1.0 the integer 1, 2.50 2.5,
// 1e400 Infinity (refused) and lost the last digits of 123456789012345678901234567890.
import { parseJSONText, JSONSyntaxError, RawJSON, stringifyJSON } from './json';
import { compile } from './policy';
import { NumberText, RegoObject, fromJS, toExactJS, toJS, toJSONText } from './value';

const INPUT =
  '{"n": 1.0, "f": 2.50, "big": 123456789012345678901234567890, "e": 1e400, "z": -0, "t": 0.1234567890123456789, "i": 7}';

describe('parseJSONText', () => {
  it('keeps every number as written, and plain numbers plain', () => {
    const v = parseJSONText(INPUT) as RegoObject;
    expect(v.get('n')).toEqual(new NumberText(1, '1.0'));
    expect(v.get('f')).toEqual(new NumberText(2.5, '2.50'));
    expect(v.get('big')).toBe(123456789012345678901234567890n);
    expect(v.get('e')).toEqual(new NumberText(10n ** 400n, '1e400'));
    expect(v.get('i')).toBe(7);
    expect(parseJSONText('[-12, 0, 123456789012345, 0.5, -7.25]')).toEqual([-12, 0, 123456789012345, 0.5, -7.25]);
    expect(toJSONText(v)).toBe(
      '{"big":123456789012345678901234567890,"e":1e400,"f":2.50,"i":7,"n":1.0,"t":0.1234567890123456789,"z":-0}',
    );
  });

  it('keeps __proto__ as a key, lets the last of repeated keys win, and decodes escapes', () => {
    const v = parseJSONText('{"__proto__": {"x": 1}, "a": 1, "a": "\\u00e9\\n\\"", "b": []}') as RegoObject;
    expect(v.get('__proto__')).toBeInstanceOf(RegoObject);
    expect(v.get('a')).toBe('é\n"');
    expect(v.get('b')).toEqual([]);
  });

  it('reads an escaped lone surrogate as U+FFFD and keeps pairs, as opa eval -i does', () => {
    // opa eval -i on this file (v1.22.4): {"a":"\ufffdx","b":"\ufffd","c":"\ufffd𐀀","d":"😀"}; keys too.
    const v = parseJSONText(
      '{"a":"\\ud800x","b":"\\udc00","c":"\\ud800\\ud800\\udc00","d":"\\ud83d\\ude00","\\udfff":1}',
    ) as RegoObject;
    expect(toJSONText(v)).toBe('{"a":"\ufffdx","b":"\ufffd","c":"\ufffd\u{10000}","d":"😀","\ufffd":1}');
  });

  it('nests 10,000 levels as Go does, and refuses a deeper document without overflowing the stack', () => {
    expect(Array.isArray(parseJSONText('['.repeat(10_000) + ']'.repeat(10_000)))).toBe(true);
    expect(() => parseJSONText('['.repeat(200_000) + ']'.repeat(200_000))).toThrow(/exceeded max depth of 10000/);
  });

  it.each([
    ['', /unexpected end of JSON input at offset 0/],
    ['[1,]', /invalid character ']' looking for beginning of value at offset 3/],
    ['{"a" 1}', /invalid character after object key at offset 5/],
    ['{"a": 1 "b": 2}', /after object key:value pair at offset 8/],
    ['[1 2]', /invalid character after array element at offset 3/],
    ['"a\u0001"', /invalid string at offset 0/],
    ['"\\x"', /invalid string/],
    ['01', /invalid character '1' after top-level value at offset 1/],
    ['1.', /invalid character '.' after top-level value/],
    ['-', /invalid character '-' looking for beginning of value/],
    ['tru', /invalid character 't' looking for beginning of value/],
    ['{"a": 1} x', /after top-level value at offset 9/],
  ])('refuses %j naming the place', (text, message) => {
    expect(() => parseJSONText(text)).toThrow(JSONSyntaxError);
    expect(() => parseJSONText(text)).toThrow(message);
  });
});

describe('numbers in input keep their text as in OPA', () => {
  it('prints, compares and computes with them as opa eval -i does', () => {
    const policy = compile([
      {
        name: 't.rego',
        source: `package t
x := json.marshal([input, sprintf("%v %v %v %v", [input.n, input.f, input.big, input.e]), is_number(input.n),
  type_name(input.e), input.n == 1, input.n + 1, format_int(input.n, 10), input.big + 1, input.e > 1e399,
  input.t > 0.1234567890123456788, input.f * 2, input.z, count({input.n, 1})])
`,
      },
    ]);
    expect(policy.evaluate('data.t.x', { input: parseJSONText(INPUT) })).toBe(
      '[{"big":123456789012345678901234567890,"e":1e400,"f":2.50,"i":7,"n":1.0,"t":0.1234567890123456789,"z":-0},' +
        '"1 2.5 123456789012345678901234567890 1e400",true,"number",true,2,"1",123456789012345678901234567891,' +
        'true,true,5,-0,1]',
    );
  });

  it('keeps them through json.unmarshal', () => {
    const policy = compile([{ name: 't.rego', source: 'package t\nx := json.marshal(json.unmarshal(input.s))\n' }]);
    expect(policy.evaluate('data.t.x', { input: { s: '[1.0, 2e308, -0, 1E3, 0.10]' } })).toBe(
      '[1.0,2e308,-0,1E3,0.10]',
    );
  });

  it("reads YAML numbers as go-yaml does (float64), then writes them as OPA's JSON step", () => {
    const policy = compile([{ name: 't.rego', source: 'package t\nx := json.marshal(yaml.unmarshal(input.s))\n' }]);
    const yaml = 'b: 123456789012345678901234567890\nv: -9223372036854775809\nk: 1e21\nj: 4e20\ny: 1e400\nn: 1.0';
    expect(policy.evaluate('data.t.x', { input: { s: yaml } })).toBe(
      '{"b":1.2345678901234568e+29,"j":400000000000000000000,"k":1e+21,"n":1,"v":-9223372036854776000,"y":"1e400"}',
    );
  });
});

describe('stringifyJSON', () => {
  // Documents of every shape JSON.stringify handles, written the same way by both.
  const plain: unknown[] = [
    null,
    true,
    'a "quoted"\n\u2028 string',
    0,
    -0,
    1.5,
    1e21,
    5e-324,
    NaN,
    Infinity,
    [],
    {},
    [1, undefined, () => 1, 'x', [[]], {}],
    { a: 1, skipped: undefined, f: () => 1, nested: { b: [1, { c: null }], d: {} }, '': 'empty key' },
    { at: new Date(Date.UTC(2026, 11, 7)), json: { toJSON: (key: string) => `key ${key}` } },
  ];

  it.each(plain.map((document) => [JSON.stringify(document), document]))(
    'writes %s as JSON.stringify does, compact and indented',
    (_, document) => {
      expect(stringifyJSON(document)).toBe(JSON.stringify(document) ?? 'null');
      expect(stringifyJSON(document, 2)).toBe(JSON.stringify(document, null, 2) ?? 'null');
      expect(stringifyJSON(document, 4)).toBe(JSON.stringify(document, null, 4) ?? 'null');
    },
  );

  it('keeps __proto__ as a key', () => {
    const document = JSON.parse('{"__proto__": {"x": 1}, "y": 2}') as unknown;
    expect(stringifyJSON(document)).toBe('{"__proto__":{"x":1},"y":2}');
  });

  it('writes numbers with their texts, bigints with their digits, and Rego values as toJSONText', () => {
    const value = parseJSONText(INPUT) as RegoObject;
    const document = {
      n: value.get('n'),
      big: value.get('big'),
      list: [value.get('e'), value.get('z')],
      value,
    };
    expect(stringifyJSON(document)).toBe(
      `{"n":1.0,"big":123456789012345678901234567890,"list":[1e400,-0],"value":${toJSONText(value)}}`,
    );
    expect(stringifyJSON({ list: document.list, value: parseJSONText('{"b":[2.50]}') }, 2)).toBe(
      [
        '{',
        '  "list": [',
        '    1e400,',
        '    -0',
        '  ],',
        '  "value": {',
        '    "b": [',
        '      2.50',
        '    ]',
        '  }',
        '}',
      ].join('\n'),
    );
  });

  it('writes a RawJSON as its text, indented to its place', () => {
    const raw = new RawJSON('{"a":[1.0,{"b":"x,y:{"}],"c":{},"d":[]}');
    expect(stringifyJSON({ result: raw, id: 'x' })).toBe('{"result":{"a":[1.0,{"b":"x,y:{"}],"c":{},"d":[]},"id":"x"}');
    expect(stringifyJSON({ result: raw, list: [raw] }, 2)).toBe(
      [
        '{',
        '  "result": {',
        '    "a": [',
        '      1.0,',
        '      {',
        '        "b": "x,y:{"',
        '      }',
        '    ],',
        '    "c": {},',
        '    "d": []',
        '  },',
        '  "list": [',
        '    {',
        '      "a": [',
        '        1.0,',
        '        {',
        '          "b": "x,y:{"',
        '        }',
        '      ],',
        '      "c": {},',
        '      "d": []',
        '    }',
        '  ]',
        '}',
      ].join('\n'),
    );
  });

  it('round-trips a document through parseJSONText, valueToExactJSON and back with every text kept', () => {
    const exact = toExactJS(parseJSONText(INPUT));
    expect(stringifyJSON(exact)).toBe(toJSONText(parseJSONText(INPUT)));
    expect(toJSONText(fromJS(exact))).toBe(toJSONText(parseJSONText(INPUT)));
    // The lossy conversion, for contrast: what sapor answered before.
    expect(JSON.stringify(toJS(parseJSONText(INPUT)))).toContain('"big":1.2345678901234568e+29');
  });
});
