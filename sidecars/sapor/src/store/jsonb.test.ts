import { fitsNumeric, jsonbText } from './jsonb';

describe('jsonbText', () => {
  it('leaves a text whose numbers numeric holds as it is (no parse)', () => {
    const text = '{"a":[1.0,2.50,-0,1e400,1e-400,123456789012345678901234567890],"s":"e-99999 in a string"}';
    expect(jsonbText(text)).toBe(text);
  });

  it('writes the numbers numeric cannot hold as strings of their texts, and only those', () => {
    expect(jsonbText('{"tiny":1e-20000,"ok":1.0,"s":"x"}')).toBe('{"ok":1.0,"s":"x","tiny":"1e-20000"}');
    expect(jsonbText(`[1e-16384,1e-16383,${'1'.repeat(131_073)}]`)).toBe(
      `["1e-16384",1e-16383,"${'1'.repeat(131_073)}"]`,
    );
  });

  it('writes an escaped lone surrogate, which jsonb refuses, as U+FFFD and keeps a pair', () => {
    expect(jsonbText('{"s":"\\ud800x \\ud83d\\ude00","n":1.0}')).toBe('{"n":1.0,"s":"\ufffdx 😀"}');
  });

  it('knows where numeric ends (as PostgreSQL 15 and PGlite refused and took them)', () => {
    for (const text of ['1e-16383', '1.5e-16382', '0.1e-16382', '1e131071', `${'9'.repeat(131_072)}`, '-1e-400', '0'])
      expect([text.slice(0, 20), fitsNumeric(text)]).toEqual([text.slice(0, 20), true]);
    for (const text of ['1e-16384', '1.5e-16383', '1e131072', `${'9'.repeat(131_073)}`, '1e-99999', '2e200000'])
      expect([text.slice(0, 20), fitsNumeric(text)]).toEqual([text.slice(0, 20), false]);
  });
});
