import { encodePageCursor, pageCursorParam } from './page-cursor';

describe('page cursor', () => {
  it('decodes what it encoded', () => {
    const cursor = { createdMicros: '1796581356747123', id: '2b4580e5-7dee-4841-90c1-786b901e923f' };
    expect(pageCursorParam.parse(encodePageCursor(cursor))).toEqual(cursor);
  });

  it('refuses anything that is not a cursor it made', () => {
    for (const text of ['', 'abc', Buffer.from("1.x' OR 1=1").toString('base64url'), 'a'.repeat(201)])
      expect(pageCursorParam.safeParse(text).success).toBe(false);
  });
});
