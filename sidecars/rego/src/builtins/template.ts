// internal.template_string: the value of a template string `$"…{expr}…"` after the parser's rewrite.
import { EvalError } from '../errors';
import { RegoSet, formatValue, type Value } from '../value';
import { arr, register, stringBytes } from './registry';

// Parts are literal strings or the set of values of one `{expr}`: empty prints `<undefined>`, strings
// print bare, other values as Rego prints them; more than one value is a conflict, as in OPA.
// The parts are printed first and charged to the memory budget before they are joined.
register('internal.template_string', 1, (args, ctx) => {
  const printed: string[] = [];
  for (const part of arr(args, 0)) {
    if (!(part instanceof RegoSet)) {
      printed.push(typeof part === 'string' ? part : formatValue(part));
      continue;
    }
    if (part.size > 1) throw new EvalError('eval_conflict_error', 'template-strings must not produce multiple outputs');
    const [only] = part.sorted() as [Value?];
    printed.push(only === undefined ? '<undefined>' : typeof only === 'string' ? only : formatValue(only));
  }
  ctx.alloc(stringBytes(printed.reduce((total, text) => total + text.length, 0)));
  return printed.join('');
});
