// The graphql builtins: documents in the shape OPA returns (gqlparser's AST as JSON, pruned), errors in
// OPA's wording (decision 095), and validation against a schema as gqlparser does it (decision 119).
import { RegoObject, typeName, type Value } from '../value';
import { DecodeError, MalformedAstError, decodeQueryDocument, decodeSchemaDocument } from './graphql-decode';
import { GraphQLSyntaxError, parseQueryDocument, parseSchemaDocument, prunedValue, type Node } from './graphql-parser';
import { GraphQLDepthError, SchemaError, Work, buildSchema, type GSchemaDocument, type Schema } from './graphql-schema';
import { validateQuery, type GQueryDocument } from './graphql-validate';
import { BuiltinError, ELEMENT_BYTES, register, str, stringBytes, type BuiltinContext } from './registry';

/** Bytes charged per token read: the AST node it becomes (a handful of fields) and its Rego copy. */
const BYTES_PER_TOKEN = 16 * ELEMENT_BYTES;

/** Parses with the budgets charged as it goes: the text up front, then each token before its node exists. */
function parseText(text: string, ctx: BuiltinContext, parser: (s: string, onToken: () => void) => Node): Node {
  ctx.alloc(stringBytes(text.length) * 2);
  try {
    return parser(text, () => {
      ctx.step(1);
      ctx.alloc(BYTES_PER_TOKEN);
    });
  } catch (error) {
    if (error instanceof GraphQLSyntaxError)
      throw new BuiltinError(`${error.message} in GraphQL string at location ${error.line}:${error.column}`);
    throw error;
  }
}

/** Work of validation: a step for every loop turn, memory for the error texts it keeps. */
function work(ctx: BuiltinContext): Work {
  return new Work(
    (count) => ctx.step(count),
    (bytes) => ctx.alloc(bytes),
  );
}

/** Work of decoding an AST object: each step also builds a node (a handful of fields). */
function decodeWork(ctx: BuiltinContext): Work {
  return new Work((count) => {
    ctx.step(count);
    ctx.alloc(count * 4 * ELEMENT_BYTES);
  });
}

/** A query given as text or as an AST object (OPA's parseQuery / objectToQueryDocument). */
function queryDocument(arg: Value, ctx: BuiltinContext, position: number): Node {
  if (typeof arg === 'string') return parseText(arg, ctx, parseQueryDocument);
  if (arg instanceof RegoObject) return decodeQueryDocument(arg, decodeWork(ctx));
  throw operandTypeError(position, arg);
}

function schemaDocument(arg: Value, ctx: BuiltinContext, position: number): Node {
  if (typeof arg === 'string') return parseText(arg, ctx, parseSchemaDocument);
  if (arg instanceof RegoObject) return decodeSchemaDocument(arg, decodeWork(ctx));
  throw operandTypeError(position, arg);
}

/** OPA's builtins.NewOperandTypeErr(position, x, "string", "object"). */
function operandTypeError(position: number, got: Value): BuiltinError {
  return new BuiltinError(
    `operand ${position} must be one of {string, object} but got ${typeName(got)}`,
    'eval_type_error',
  );
}

/** OPA's convertSchema: the prelude merged in and gqlparser's schema checks. */
function schemaOf(doc: Node, ctx: BuiltinContext): Schema {
  try {
    return buildSchema(doc as unknown as GSchemaDocument, work(ctx));
  } catch (error) {
    if (error instanceof SchemaError)
      throw new BuiltinError(`Error in gqlparser SchemaDocument to Schema conversion: ${error.error.toString()}`);
    throw refusal(error);
  }
}

/** OPA's formatGqlParserError over gqlparser's error list text (every error, one per line). */
export function formatValidationErrors(text: string): string {
  const parts = splitN(text, ':', 4);
  const isUint = (s: string): boolean => /^[0-9]+$/.test(s) && BigInt(s) < 1n << 64n;
  if (parts.length >= 4 && isUint(parts[1] as string) && isUint(parts[2] as string)) {
    let message = (parts[3] as string).replace(/^ +/, '');
    if (message.endsWith('.\n')) message = message.slice(0, -2);
    return `${message} in GraphQL string at location ${BigInt(parts[1] as string)}:${BigInt(parts[2] as string)}`;
  }
  return `GraphQL parse error: ${text}`;
}

/** Go's strings.SplitN. */
function splitN(s: string, sep: string, n: number): string[] {
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

/** Validates the query; throws OPA's error text when gqlparser reports any problem. */
function validate(schema: Schema, query: Node, ctx: BuiltinContext): void {
  let errors;
  try {
    errors = validateQuery(schema, query as unknown as GQueryDocument, work(ctx));
  } catch (error) {
    throw refusal(error);
  }
  if (errors.length > 0)
    throw new BuiltinError(formatValidationErrors(errors.map((e) => `${e.toString()}\n`).join('')));
}

/** This engine's limit, not a verdict on the documents: it propagates from every builtin. */
class GraphQLRefusal extends BuiltinError {}

/** Depth beyond MAX_RECURSION, or the JS stack running out first (the evaluator already uses some of it). */
function refusal(error: unknown): unknown {
  if (error instanceof GraphQLDepthError) return new GraphQLRefusal(error.message);
  if (error instanceof RangeError && /call stack/i.test(error.message))
    return new GraphQLRefusal(new GraphQLDepthError().message);
  return error;
}

/** Whether an error is OPA's verdict on the documents (parse_and_verify / is_valid turn it into false). */
function isVerdict(error: unknown): boolean {
  return (
    error instanceof DecodeError ||
    error instanceof MalformedAstError ||
    (error instanceof BuiltinError && !(error instanceof GraphQLRefusal))
  );
}

function decodeOrVerdict(error: unknown): never {
  if (error instanceof DecodeError || error instanceof MalformedAstError) throw new BuiltinError(error.message);
  throw error;
}

/** Query and schema documents and the schema, checked as OPA's graphql.parse does (in its order). */
function parseAndValidate(args: Value[], ctx: BuiltinContext): { query: Value; schema: Value } {
  const queryDoc = queryDocument(args[0] as Value, ctx, 0);
  const schemaDoc = schemaDocument(args[1] as Value, ctx, 1);
  // Both ASTs are returned as they were before validation annotates them.
  const schemaValue = prunedValue(schemaDoc);
  const schema = schemaOf(schemaDoc, ctx);
  const queryValue = prunedValue(queryDoc);
  validate(schema, queryDoc, ctx);
  return { query: queryValue, schema: schemaValue };
}

function verdict<T>(run: () => T, otherwise: T): T {
  try {
    return run();
  } catch (error) {
    if (isVerdict(error)) return otherwise;
    throw error;
  }
}

register('graphql.parse_query', 1, (args, ctx) => prunedValue(parseText(str(args, 0), ctx, parseQueryDocument)));
register('graphql.parse_schema', 1, (args, ctx) => prunedValue(parseText(str(args, 0), ctx, parseSchemaDocument)));

register('graphql.parse', 2, (args, ctx) => {
  try {
    const { query, schema } = parseAndValidate(args, ctx);
    return [query, schema];
  } catch (error) {
    return decodeOrVerdict(error);
  }
});

register('graphql.parse_and_verify', 2, (args, ctx) =>
  verdict((): Value => {
    const { query, schema } = parseAndValidate(args, ctx);
    return [true, query, schema];
  }, [false, new RegoObject(), new RegoObject()]),
);

register('graphql.is_valid', 2, (args, ctx) =>
  verdict((): Value => {
    parseAndValidate(args, ctx);
    return true;
  }, false),
);

register('graphql.schema_is_valid', 1, (args, ctx) =>
  verdict((): Value => {
    schemaOf(schemaDocument(args[0] as Value, ctx, 0), ctx);
    return true;
  }, false),
);
