import { endToEndHeaders, flatHeaders, rawResponseHead } from './http-headers';

describe('hop-by-hop header handling', () => {
  it('drops hop-by-hop fields and fields named in Connection, keeping order and duplicates', () => {
    const raw = [
      'Host',
      'x',
      'Connection',
      'keep-alive, X-Secret',
      'X-Secret',
      's',
      'Set-Cookie',
      'a=1',
      'TE',
      'trailers',
      'Set-Cookie',
      'b=2',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'websocket',
    ];
    expect(endToEndHeaders(raw)).toEqual([
      { name: 'Host', value: 'x' },
      { name: 'Set-Cookie', value: 'a=1' },
      { name: 'Set-Cookie', value: 'b=2' },
    ]);
  });

  it('keeps Upgrade for upgrade requests and drops caller credentials on request', () => {
    const raw = ['Upgrade', 'SPDY/3.1', 'Authorization', 'Bearer x', 'X-A', '1'];
    expect(endToEndHeaders(raw, { keep: ['upgrade'], drop: ['authorization'] })).toEqual([
      { name: 'Upgrade', value: 'SPDY/3.1' },
      { name: 'X-A', value: '1' },
    ]);
  });

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
