import { documentRef, parseDocumentPath } from './paths';

describe('document paths', () => {
  it('accepts slash and dot forms, with or without data', () => {
    expect(parseDocumentPath('isd/deploy/allowed', 'f')).toEqual(['isd', 'deploy', 'allowed']);
    expect(parseDocumentPath('data.isd.deploy', 'f')).toEqual(['isd', 'deploy']);
    expect(parseDocumentPath('/', 'f')).toEqual([]);
  });

  it('quotes segments that are not identifiers', () => {
    expect(documentRef(['isd', 'my-policy', 'allow'])).toBe('data.isd["my-policy"].allow');
    expect(documentRef([])).toBe('data');
  });

  it('refuses quotes, backslashes and empty segments, naming the field', () => {
    expect(() => parseDocumentPath('isd/"x', 'body.policy')).toThrow(/body.policy/);
    expect(() => parseDocumentPath('isd//x', 'body.policy')).toThrow(/invalid path segment/);
  });
});
