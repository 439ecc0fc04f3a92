import { endToEndHeaders } from './end-to-end-headers';

describe('endToEndHeaders', () => {
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

  it('keeps Upgrade on a 101 while dropping the other fields its Connection names', () => {
    const raw = ['Connection', 'Upgrade, X-Hop', 'Upgrade', 'websocket', 'X-Hop', '1', 'Sec-WebSocket-Accept', 'k'];
    expect(endToEndHeaders(raw, { keep: ['upgrade'] })).toEqual([
      { name: 'Upgrade', value: 'websocket' },
      { name: 'Sec-WebSocket-Accept', value: 'k' },
    ]);
  });
});
