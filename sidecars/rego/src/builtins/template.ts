// internal.template_string: the value of a template string `$"…{expr}…"` after the parser's rewrite.
import { EvalError } from '../errors';
import { RegoSet, formatValue, type Value } from '../value';
import { arr, register } from './registry';

// Parts are literal strings or the set of values of one `{expr}`: empty prints `<undefined>`, strings
// print bare, other values as Rego prints them; more than one value is a conflict, as in OPA.
register('internal.template_string', 1, (args) => {
  let out = '';
  for (const part of arr(args, 0)) {
    if (!(part instanceof RegoSet)) {
      out += typeof part === 'string' ? part : formatValue(part);
      continue;
    }
    if (part.size > 1) throw new EvalError('eval_conflict_error', 'template-strings must not produce multiple outputs');
    const [only] = part.sorted() as [Value?];
    out += only === undefined ? '<undefined>' : typeof only === 'string' ? only : formatValue(only);
  }
  return out;
});
