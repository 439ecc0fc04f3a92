// graphql.parse_query and graphql.parse_schema: documents in the shape OPA returns (gqlparser's AST as
// JSON, pruned), errors in OPA's wording (decision 095). The builtins that validate against a schema
// (graphql.parse, parse_and_verify, is_valid, schema_is_valid) are not implemented yet (decision 015).
import { fromJS, type Value } from '../value';
import { GraphQLSyntaxError, parseQueryDocument, parseSchemaDocument, prune, type Node } from './graphql-parser';
import { BuiltinError, ELEMENT_BYTES, register, str, stringBytes, type BuiltinContext } from './registry';

/** Bytes charged per token read: the AST node it becomes (a handful of fields) and its Rego copy. */
const BYTES_PER_TOKEN = 16 * ELEMENT_BYTES;

/** Parses with the budgets charged as it goes: the text up front, then each token before its node exists. */
function parse(text: string, ctx: BuiltinContext, parser: (s: string, onToken: () => void) => Node): Value {
  ctx.alloc(stringBytes(text.length) * 2);
  let document: Node;
  try {
    document = parser(text, () => {
      ctx.step(1);
      ctx.alloc(BYTES_PER_TOKEN);
    });
  } catch (error) {
    if (error instanceof GraphQLSyntaxError)
      throw new BuiltinError(`${error.message} in GraphQL string at location ${error.line}:${error.column}`);
    throw error;
  }
  return fromJS(prune(document));
}

register('graphql.parse_query', 1, (args, ctx) => parse(str(args, 0), ctx, parseQueryDocument));
register('graphql.parse_schema', 1, (args, ctx) => parse(str(args, 0), ctx, parseSchemaDocument));
