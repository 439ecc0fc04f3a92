import {
  endToEndResponseHeaders,
  flatHeaders,
  invalidHeaders,
  invalidStatusMessage,
  rawResponseHead,
  responseContentLength,
} from './http-headers';

describe('hop-by-hop header handling', () => {
  it('flattens and serializes heads without letting CR/LF inject headers', () => {
    expect(
      flatHeaders([
        { name: 'A', value: '1' },
        { name: 'A', value: '2' },
      ]),
    ).toEqual(['A', '1', 'A', '2']);
    expect(rawResponseHead(101, 'Switching Protocols', [{ name: 'X', value: 'a\r\nInjected: 1' }])).toBe(
      'HTTP/1.1 101 Switching Protocols\r\nX: aInjected: 1\r\n\r\n',
    );
  });
});

describe("checks of an agent's response head", () => {
  it('refuses names that are not tokens and values with control characters', () => {
    expect(invalidHeaders([{ name: 'X-Ok', value: 'tab\tand 8-bit \u00e9' }])).toBeUndefined();
    expect(invalidHeaders([{ name: 'X-A', value: 'a\r\nSet-Cookie: x=1' }])).toMatch(/X-A has a control character/);
    expect(invalidHeaders([{ name: 'X-A', value: 'a\u0000' }])).toMatch(/control character/);
    expect(invalidHeaders([{ name: 'X A', value: '1' }])).toMatch(/is not a token/);
    expect(invalidHeaders([{ name: '', value: '1' }])).toMatch(/is not a token/);
    expect(invalidHeaders([{ name: 'x-t', value: '\n' }], 'trailer')).toMatch(/^trailer x-t/);
    // An agent's frame may hold 8 MiB of headers; a head the caller could read holds far less.
    const many = Array.from({ length: 300_000 }, (_, index) => ({ name: `x-${index}`, value: 'v' }));
    expect(invalidHeaders(many)).toMatch(/^headers take \d+ bytes; at most 65536$/);
    expect(invalidHeaders([{ name: 'x-big', value: 'v'.repeat(70_000) }], 'trailer')).toMatch(/^trailers take/);
    expect(invalidHeaders(many.slice(0, 1_000))).toBeUndefined();
    expect(invalidStatusMessage('Not Found')).toBeUndefined();
    expect(invalidStatusMessage('OK\r\nX: 1')).toMatch(/control character/);
  });

  it('reads one Content-Length and refuses disagreeing or malformed ones', () => {
    const length = (...values: string[]) =>
      responseContentLength(values.map((value) => ({ name: 'Content-Length', value })));
    expect(length()).toBeUndefined();
    expect(length('42')).toBe(42);
    expect(length('42', '42')).toBe(42);
    expect(length('42', '43')).toEqual({ invalid: 'the response has several different Content-Lengths' });
    expect(length('4, 2')).toHaveProperty('invalid');
    expect(length('-1')).toHaveProperty('invalid');
    expect(length('1e3')).toHaveProperty('invalid');
  });

  it('drops hop-by-hop fields and those named in Connection, never Content-Length', () => {
    expect(
      endToEndResponseHeaders([
        { name: 'Transfer-Encoding', value: 'chunked' },
        { name: 'Connection', value: 'close, X-Gone, Content-Length' },
        { name: 'X-Gone', value: '1' },
        { name: 'Content-Length', value: '2' },
        { name: 'Keep-Alive', value: 'timeout=5' },
        { name: 'X-Kept', value: '1' },
      ]),
    ).toEqual([
      { name: 'Content-Length', value: '2' },
      { name: 'X-Kept', value: '1' },
    ]);
  });
});
