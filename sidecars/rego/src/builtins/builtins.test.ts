import { compile } from '../policy';

function value(expr: string, input?: unknown): unknown {
  return compile([{ name: 'b.rego', source: `package b\nv := ${expr}` }]).evaluate('data.b.v', { input });
}

describe('builtins', () => {
  it('signs and verifies JWTs, rejecting wrong secrets and expired tokens', () => {
    const sign = (payload: string): string =>
      `io.jwt.encode_sign({"alg": "HS256", "typ": "JWT"}, ${payload}, {"kty": "oct", "k": "c2VjcmV0"})`;
    expect(
      value(`io.jwt.decode_verify(${sign('{"iss": "me", "exp": 4102444800}')}, {"secret": "secret", "iss": "me"})`),
    ).toEqual([true, { alg: 'HS256', typ: 'JWT' }, { iss: 'me', exp: 4102444800 }]);
    expect(value(`io.jwt.decode_verify(${sign('{"iss": "me"}')}, {"secret": "other"})`)).toEqual([false, {}, {}]);
    expect(value(`io.jwt.decode_verify(${sign('{"exp": 1}')}, {"secret": "secret"})`)).toEqual([false, {}, {}]);
  });

  it('formats and parses times with Go layouts and zones', () => {
    expect(value('time.format([0, "UTC", "2006-01-02 15:04:05 MST"])')).toBe('1970-01-01 00:00:00 UTC');
    expect(value('time.parse_rfc3339_ns("2024-02-29T12:30:00+02:00")')).toBe(1709202600000000000);
    expect(value('time.weekday(1709202600000000000)')).toBe('Thursday');
    expect(value('time.clock([1709202600000000000, "Asia/Kolkata"])')).toEqual([16, 0, 0]);
  });

  it('formats Go verbs in sprintf', () => {
    expect(value('sprintf("%s=%d %.2f %v %x %05d %q", ["a", 42, 3.14159, {"k": [1, true]}, 255, 7, "q"])')).toBe(
      'a=42 3.14 {"k": [1, true]} ff 00007 "q"',
    );
  });

  it('does exact CIDR math for IPv4 and IPv6', () => {
    expect(value('net.cidr_contains("10.0.0.0/8", "10.2.3.4")')).toBe(true);
    expect(value('net.cidr_contains("2001:db8::/32", "2001:db8:1::1")')).toBe(true);
    expect(value('net.cidr_merge(["10.0.0.0/25", "10.0.0.128/25"])')).toEqual(['10.0.0.0/24']);
  });

  it('counts strings in code points and keeps big integers exact', () => {
    expect(value('[count("日本語"), indexof("日本語x", "x"), 18446744073709551616 * 2]')).toEqual([
      3, 3, 36893488147419103232,
    ]);
    expect(value('format_int(18446744073709551615, 16)')).toBe('ffffffffffffffff');
  });

  it('translates RE2 syntax', () => {
    expect(value('regex.find_all_string_submatch_n(`(?P<k>\\w+)=(\\d+)`, "a=1 b=22", -1)')).toEqual([
      ['a=1', 'a', '1'],
      ['b=22', 'b', '22'],
    ]);
    expect(value('regex.replace("a1b22", `(\\d+)`, "<$1>")')).toBe('a<1>b<22>');
    expect(value('regex.match(`\\Qa.b\\E\\z`, "xa.b")')).toBe(true);
    expect(value('regex.match(`[[:digit:]]+`, "abc")')).toBe(false);
  });
});
