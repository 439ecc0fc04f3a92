import { BudgetExceededError, EvalError } from './errors';
import { compile } from './policy';
import { toJSONText } from './value';

const MiB = 1024 * 1024;

function policy(source: string) {
  return compile([{ name: 'b.rego', source: `package b\n${source}` }]);
}

/** The BudgetExceededError a document's evaluation throws (fails the test when it throws nothing else). */
function budgetError(source: string, budget: { maxSteps?: number; maxMemoryBytes?: number }, input?: unknown) {
  try {
    policy(source).evaluate('data.b.x', { budget, input, strictBuiltinErrors: true });
  } catch (error) {
    if (error instanceof BudgetExceededError) return error;
    throw error;
  }
  throw new Error('no budget error');
}

describe('memory budget: builtins charge what they would build, before building it', () => {
  it('sprintf padding counts; a width Go refuses ends the directive as in Go', () => {
    const error = budgetError('x := sprintf("%9999999d", [1])', { maxMemoryBytes: MiB });
    expect(error.limit).toBe('memory');
    expect(error.message).toMatch(/memory budget \(1048576 bytes\)/);
    // Go's fmt stops parsing a width beyond 10^6 digits' worth and prints %!(NOVERB): nothing is padded.
    expect(policy('x := sprintf("%300000000d", [1])').evaluate('data.b.x')).toBe('%!(NOVERB)%!(EXTRA int64=1)');
    expect(policy('x := sprintf("%05d|%-4s|", [7, "ab"])').evaluate('data.b.x')).toBe('00007|ab  |');
  });

  it('replace and strings.replace_n predict their output size', () => {
    const input = { s: 'a'.repeat(5000), r: 'b'.repeat(5000) };
    expect(budgetError('x := replace(input.s, "a", input.r)', { maxMemoryBytes: 16 * MiB }, input).limit).toBe(
      'memory',
    );
    expect(
      budgetError('x := strings.replace_n({"a": input.r}, input.s)', { maxMemoryBytes: 16 * MiB }, input).limit,
    ).toBe('memory');
    expect(policy('x := replace("a.b.c", ".", "::")').evaluate('data.b.x')).toBe('a::b::c');
    expect(policy('x := replace("ab", "", "-")').evaluate('data.b.x')).toBe('-a-b-');
    expect(policy('x := strings.replace_n({"a": "1", "ab": "2"}, "abab")').evaluate('data.b.x')).toBe('1b1b');
  });

  it('concat, array.concat, numbers.range, bits.lsh and comprehensions count against it', () => {
    const input = { s: 'x'.repeat(100_000) };
    expect(
      budgetError('x := concat(",", [input.s | some _ in numbers.range(1, 100)])', { maxMemoryBytes: 8 * MiB }, input)
        .limit,
    ).toBe('memory');
    expect(budgetError('x := numbers.range(1, 10000000)', { maxMemoryBytes: 8 * MiB, maxSteps: 1e9 }).limit).toBe(
      'memory',
    );
    expect(budgetError('x := bits.lsh(1, 100000000)', { maxMemoryBytes: 8 * MiB }).limit).toBe('memory');
    expect(budgetError('x := {i: i | some i in numbers.range(1, 300000)}', { maxMemoryBytes: 8 * MiB }).limit).toBe(
      'memory',
    );
    expect(
      budgetError(
        'double(a) := array.concat(a, a)\nx := double(double(double(double(double(double(double(double(double(double(double(double(double(double(double(double(double(double(double(double(double(double([1]))))))))))))))))))))))',
        { maxMemoryBytes: 8 * MiB },
      ).limit,
    ).toBe('memory');
  });

  it('huge integers count their digits: results like strings, conversions by their (quadratic) work', () => {
    // 10^99000: each is some 41 KB, and turning one into a float or text takes some 20 ms.
    const input = { s: '1' + '0'.repeat(99_000) };
    const budget = { maxSteps: 1_000_000, maxMemoryBytes: 32 * MiB };
    for (const source of [
      // Were 2,000 × 41 KB built with 2,000 steps (100,000 of them ended the worker's heap, not a budget).
      'x := count(numbers.range(to_number(input.s), to_number(input.s) + 2000))',
      'x := count([bits.or(to_number(input.s), i) | some i in numbers.range(1, 2000)])',
      // Were 200 × 20 ms without a step between two checks of the clock.
      'x := count([abs(to_number(input.s)) | some i in numbers.range(1, 200)])',
    ])
      expect([source, budgetError(source, budget, input).limit]).toEqual([
        source,
        expect.stringMatching(/steps|memory/),
      ]);
    const ordinary = 'x := 123456789012345678901234567890 * 2 + 1 == 246913578024691357802469135781';
    expect(policy(ordinary).evaluate('data.b.x', { budget })).toBe(true);
    expect(policy('x := to_number(input.s) + 1 > to_number(input.s)').evaluate('data.b.x', { budget, input })).toBe(
      true,
    );
  });

  it('regex.replace counts each expansion of its template', () => {
    const input = { s: 'a'.repeat(2000), t: '$0'.repeat(2000) };
    expect(budgetError('x := regex.replace(input.s, "a+", input.t)', { maxMemoryBytes: 4 * MiB }, input).limit).toBe(
      'memory',
    );
    expect(policy('x := regex.replace("a1b22", "(?P<d>[0-9]+)", "<${d}>")').evaluate('data.b.x')).toBe('a<1>b<22>');
  });

  it('strings.render_template counts its output and its loops', () => {
    const input = { a: Array.from({ length: 1000 }, (_, i) => i) };
    const t = '{{range $.a}}{{range $.a}}{{range $.a}}xxxxxxxx{{end}}{{end}}{{end}}';
    expect(budgetError(`x := strings.render_template("${t}", input)`, { maxMemoryBytes: 8 * MiB }, input).limit).toBe(
      'memory',
    );
    const quiet = '{{range $.a}}{{range $.a}}{{range $.a}}{{end}}{{end}}{{end}}';
    expect(budgetError(`x := strings.render_template("${quiet}", input)`, { maxSteps: 1e6 }, input).limit).toBe(
      'steps',
    );
  });

  it('certificate and key parsers count their input before parsing it', () => {
    const input = { s: 'A'.repeat(4_000_000) };
    for (const call of [
      'crypto.x509.parse_certificates(input.s)',
      'crypto.x509.parse_and_verify_certificates(input.s)',
      'crypto.x509.parse_certificate_request(input.s)',
      'crypto.x509.parse_keypair(input.s, input.s)',
      'crypto.x509.parse_rsa_private_key(input.s)',
      'crypto.parse_private_keys(input.s)',
    ])
      expect(budgetError(`x := ${call}`, { maxMemoryBytes: 8 * MiB }, input).limit).toBe('memory');
  });

  it('JWT builtins count the token and key text before decoding them', () => {
    const input = { t: `eyJhbGciOiJIUzI1NiJ9.${'e'.repeat(4_000_000)}.x` };
    for (const call of [
      'io.jwt.decode(input.t)',
      'io.jwt.verify_hs256(input.t, "k")',
      'io.jwt.decode_verify(input.t, {"secret": "k"})',
    ])
      expect(budgetError(`x := ${call}`, { maxMemoryBytes: 8 * MiB }, input).limit).toBe('memory');
  });

  it('json and yaml parsing and marshalling count their text', () => {
    const input = { s: JSON.stringify(Array.from({ length: 100_000 }, (_, i) => i)) };
    expect(
      budgetError('x := [json.unmarshal(input.s) | some _ in numbers.range(1, 50)]', { maxMemoryBytes: 8 * MiB }, input)
        .limit,
    ).toBe('memory');
    expect(
      budgetError('x := [yaml.marshal(input) | some _ in numbers.range(1, 50)]', { maxMemoryBytes: 8 * MiB }, input)
        .limit,
    ).toBe('memory');
  });

  it('regex.globs_match counts the states of its product automaton', () => {
    const input = { a: 'a*'.repeat(3000) + 'c', b: 'b*'.repeat(3000) + 'd' };
    expect(budgetError('x := regex.globs_match(input.a, input.b)', { maxSteps: 100_000 }, input).limit).toBe('steps');
    expect(policy('x := regex.globs_match("a.*", "[a-c]b+")').evaluate('data.b.x')).toBe(true);
  });

  it('net.cidr_contains_matches counts the pairs it compares and the matches it keeps', () => {
    // 1,000 × 1,000 ran 1.2 s, uncharged, within a one-second budget.
    const input = {
      cidrs: Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`),
      ips: Array.from({ length: 1000 }, (_, i) => `10.${i >> 8}.${i & 255}.1`),
    };
    const matches = 'x := net.cidr_contains_matches(input.cidrs, input.ips)';
    expect(budgetError(matches, { maxSteps: 100_000 }, input).limit).toBe('steps');
    // Few pairs, but each match keeps two long keys.
    const long = { cidrs: { ['k'.repeat(100_000)]: '10.0.0.0/8' }, ips: input.ips };
    expect(budgetError(matches, { maxMemoryBytes: 32 * MiB }, long).limit).toBe('memory');
    expect(
      policy(
        'x := net.cidr_contains_matches({"a": "10.0.0.0/8", "b": "192.168.0.0/16"}, ["10.1.2.3", "10.0.0.0/16"])',
      ).evaluate('data.b.x'),
    ).toEqual([
      ['a', 0],
      ['a', 1],
    ]);
  });

  it('stays out of the way of ordinary policies (default budget)', () => {
    const p = policy('x := count([sprintf("%s-%d", [s, i]) | some i, s in input.names; regex.match("^[a-z]+$", s)])');
    expect(p.evaluate('data.b.x', { input: { names: Array.from({ length: 5000 }, () => 'abc') } })).toBe(5000);
  });
});

describe('linear-time matching', () => {
  it('glob.match with many stars answers at once (no backtracking)', () => {
    const p = policy('x := glob.match("*a*a*a*a*a*a*a*a*a*a*a*a*b", [], input.s)');
    expect(p.evaluate('data.b.x', { input: { s: 'a'.repeat(40) } })).toBe(false);
    expect(p.evaluate('data.b.x', { input: { s: 'a'.repeat(40) + 'b' } })).toBe(true);
    expect(policy('x := glob.match("api.*.com", ["."], "api.x.y.com")').evaluate('data.b.x')).toBe(false);
    expect(policy('x := glob.match("api.**.com", ["."], "api.x.y.com")').evaluate('data.b.x')).toBe(true);
    expect(policy('x := glob.match("{a,b}[!c]?", [], "bdé")').evaluate('data.b.x')).toBe(true);
  });

  it("regex, glob and template matching count the matcher's worst case before matching", () => {
    // Every `.*` is a live thread at every character: this took seconds within a one-million-step budget.
    const input = { p: 'a.*'.repeat(4000), g: 'a*'.repeat(4000), t: '{a.*}'.repeat(4000), s: 'a'.repeat(10_000) };
    for (const source of [
      'x := regex.match(input.p, input.s)',
      'x := regex.find_n(input.p, input.s, -1)',
      'x := glob.match(input.g, [], input.s)',
      'x := regex.template_match(input.t, input.s, "{", "}")',
    ])
      expect([source, budgetError(source, { maxSteps: 1_000_000 }, input).limit]).toEqual([source, 'steps']);
    expect(
      policy('x := regex.match(input.p, input.s)').evaluate('data.b.x', { input: { p: 'a.*'.repeat(40), s: input.s } }),
    ).toBe(true);
  });

  it('regex builtins keep Go semantics: empty matches, groups, error messages', () => {
    expect(policy('x := regex.find_n("a*", "baaab", -1)').evaluate('data.b.x')).toEqual(['', 'aaa', '']);
    expect(policy('x := regex.split("a+", "xaaybz")').evaluate('data.b.x')).toEqual(['x', 'ybz']);
    expect(
      policy('x := regex.find_all_string_submatch_n("(?P<k>\\\\w)=(\\\\d)?", "a=1 b=", -1)').evaluate('data.b.x'),
    ).toEqual([
      ['a=1', 'a', '1'],
      ['b=', 'b', ''],
    ]);
    expect(() => policy('x := regex.match("(a", "a")').evaluate('data.b.x', { strictBuiltinErrors: true })).toThrow(
      /error parsing regexp: missing closing \): `\(a`/,
    );
  });
});

describe('numbers as OPA has them', () => {
  it('refuses non-finite numbers in input, naming where they are', () => {
    const p = policy('x := input.a[0].n + 1');
    expect(() => p.evaluate('data.b.x', { input: JSON.parse('{"a":[{"n":1e309}]}') as unknown })).toThrow(
      /eval_invalid_input: input\.a\[0\]\.n: Infinity is not a valid number/,
    );
    expect(() => p.evaluate('data.b.x', { input: { a: [{ n: Number.NaN }] } })).toThrow(EvalError);
  });

  it('keeps integral numbers beyond float64 exact and never produces Infinity', () => {
    // The literal prints as written, as OPA keeps its text; its value is the exact integer.
    expect(toJSONText(policy('x := 1e309').evaluateValue('data.b.x')!)).toBe('1e309');
    expect(toJSONText(policy('x := 1e309 + 0').evaluateValue('data.b.x')!)).toBe('1' + '0'.repeat(309));
    // json.unmarshal keeps the text as OPA does; the value is the exact integer.
    expect(policy('x := json.marshal(json.unmarshal("[2e308]"))').evaluate('data.b.x')).toBe('[2e308]');
    expect(toJSONText(policy('x := json.unmarshal("[2e308]")[0] + 0').evaluateValue('data.b.x')!)).toBe(
      '2' + '0'.repeat(308),
    );
    // to_number parses like Go's strconv.ParseFloat, as OPA does: beyond float64 is an error there.
    expect(() => policy('x := to_number("1e309")').evaluate('data.b.x', { strictBuiltinErrors: true })).toThrow(
      /value out of range/,
    );
    // Arithmetic beyond float64 goes on in OPA's big floats, never to Infinity (nor invalid JSON).
    expect(policy('x := json.marshal([1.5e308 * 10.5])').evaluate('data.b.x', { strictBuiltinErrors: true })).toBe(
      '[1575' + '0'.repeat(306) + ']',
    );
  });

  it('keeps __proto__ and constructor keys in input, iteration and results', () => {
    const input = JSON.parse('{"__proto__": {"polluted": true}, "constructor": 1, "ok": 2}') as unknown;
    const p = policy('keys := {k | some k, _ in input}\nx := json.marshal(input)\nechoed := input');
    expect(p.evaluate('data.b.keys', { input })).toEqual(['__proto__', 'constructor', 'ok']);
    expect(p.evaluate('data.b.x', { input })).toBe('{"__proto__":{"polluted":true},"constructor":1,"ok":2}');
    const echoed = p.evaluate('data.b.echoed', { input }) as Record<string, unknown>;
    expect(Object.keys(echoed)).toEqual(['__proto__', 'constructor', 'ok']);
    expect(Object.getPrototypeOf(echoed)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
