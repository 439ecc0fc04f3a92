import { KNOWN_PLACEHOLDERS_PATTERN, placeholderProblems } from './template';

/** A small deterministic generator (mulberry32), so a disagreement reproduces. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// The OpenAPI document says the placeholder rule as a pattern; the refinement says it with messages. They
// must agree on every query, including the whitespace String.prototype.trim removes and Python's `\s` adds.
describe('the placeholder pattern of the OpenAPI document', () => {
  const pieces = [
    '$',
    '{',
    '}',
    '${',
    'scope',
    'scope.',
    'stepSeconds',
    'ns',
    'a.b:c-d',
    '_',
    '1',
    ' ',
    '\t',
    '\n',
    '\u00a0',
    '\u2028',
    '\ufeff',
    '\u0085',
    '\u001c',
    'x',
    'sum(rate(',
    ')',
    '"',
  ];

  it('accepts exactly the queries whose placeholders are all known', () => {
    const next = random(20261207);
    const disagreements: string[] = [];
    for (let i = 0; i < 50_000; i++) {
      let query = '';
      const length = 1 + Math.floor(next() * 8);
      for (let j = 0; j < length; j++) query += pieces[Math.floor(next() * pieces.length)];
      if (KNOWN_PLACEHOLDERS_PATTERN.test(query) !== (placeholderProblems(query).length === 0))
        disagreements.push(query);
    }
    expect(disagreements.slice(0, 10)).toEqual([]);
  });

  it.each([
    ['rate(x{${scope}}[${stepSeconds}s])', true],
    ['x{pod="${ scope.pod }"}', true],
    ['$$${scope}$', true],
    ['price in $', true],
    ['${scope.}', false],
    ['${namespace}', false],
    ['x{${scope}', true],
    ['x{${scope', false],
    ['${\u0085scope}', false],
  ])('%j: %s', (query, known) => {
    expect(KNOWN_PLACEHOLDERS_PATTERN.test(query)).toBe(known);
    expect(placeholderProblems(query).length === 0).toBe(known);
  });
});
