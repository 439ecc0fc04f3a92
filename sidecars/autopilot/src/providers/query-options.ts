// Stores whose API takes more than one query string (Cloud Monitoring's aligner and reducer, Wavefront's
// summarization) read those settings from `| name=value` clauses after the query, so a template metric
// stays one text with `${scope}` placeholders (docs/decisions/074).

/** A query split into its text and its `| name=value` options. */
export interface QueryWithOptions {
  text: string;
  options: Record<string, string>;
}

/**
 * Splits `text | a=1 | b=2` into the text and {a, b}. Only the store's `known` option names start a clause,
 * and a clause never starts inside a quoted string, so a `|` in the store's own syntax (a regular expression,
 * a pipe operator) or in a scope value is left in the text.
 * Returns an error naming an option given twice or an empty value.
 */
export function splitQueryOptions(query: string, known: readonly string[]): QueryWithOptions | { error: string } {
  const names = known.map((name) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
  const clause = new RegExp(`\\s*\\|\\s*(${names})\\s*=`, 'g');
  const quoted = [...query.matchAll(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g)].map((match): [number, number] => [
    match.index,
    match.index + match[0].length,
  ]);
  const starts = [...query.matchAll(clause)].filter(
    (match) => !quoted.some(([from, to]) => match.index >= from && match.index < to),
  );
  if (starts.length === 0) return { text: query.trim(), options: {} };
  const options: Record<string, string> = {};
  for (const [index, match] of starts.entries()) {
    const name = match[1]!;
    const valueStart = match.index + match[0].length;
    const valueEnd = index + 1 < starts.length ? starts[index + 1]!.index : query.length;
    const value = query.slice(valueStart, valueEnd).trim();
    if (Object.hasOwn(options, name)) return { error: `option ${name} is given twice` };
    if (!value) return { error: `option ${name} has no value` };
    options[name] = value;
  }
  return { text: query.slice(0, starts[0]!.index).trim(), options };
}
