import { splitQueryOptions } from './query-options';

describe('splitQueryOptions', () => {
  const known = ['perSeriesAligner', 'crossSeriesReducer'] as const;

  it('splits known `| name=value` clauses off the end of the query', () => {
    expect(
      splitQueryOptions('metric.type="x" | perSeriesAligner=ALIGN_RATE |crossSeriesReducer = REDUCE_SUM', known),
    ).toEqual({
      text: 'metric.type="x"',
      options: { perSeriesAligner: 'ALIGN_RATE', crossSeriesReducer: 'REDUCE_SUM' },
    });
    expect(splitQueryOptions('  metric.type="x"  ', known)).toEqual({ text: 'metric.type="x"', options: {} });
  });

  it('leaves pipes of the store’s syntax, unknown names and quoted text alone', () => {
    expect(splitQueryOptions('ts(a) | align=60 | x', known)).toEqual({ text: 'ts(a) | align=60 | x', options: {} });
    const quoted = 'metric.labels.path="a | perSeriesAligner=ALIGN_MAX" AND x=\'| crossSeriesReducer=y\'';
    expect(splitQueryOptions(quoted, known)).toEqual({ text: quoted, options: {} });
  });

  it('refuses an option given twice or without a value', () => {
    expect(splitQueryOptions('q | perSeriesAligner=A | perSeriesAligner=B', known)).toEqual({
      error: 'option perSeriesAligner is given twice',
    });
    expect(splitQueryOptions('q | perSeriesAligner= ', known)).toEqual({
      error: 'option perSeriesAligner has no value',
    });
  });
});
