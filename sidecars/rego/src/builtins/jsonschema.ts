// json.verify_schema and json.match_schema: JSON Schema (drafts 4/6/7) validated by ajv, with results and
// error objects in the shape OPA returns from its gojsonschema fork (decision 094).
import Ajv, { type ErrorObject, type Options, type ValidateFunction } from 'ajv';
import AjvDraft04 from 'ajv-draft-04';
import addFormats from 'ajv-formats';
import { RE2JS } from 're2js';
import { RegoObject, toJS, type Value } from '../value';
import { parseJSON } from './encoding';
import { BuiltinError, ELEMENT_BYTES, register, stringBytes, type BuiltinContext } from './registry';

/** gojsonschema's primitive types, as its schema errors list them. */
const PRIMITIVE_TYPES = ['array', 'boolean', 'integer', 'number', 'null', 'object', 'string'];

/** Go RE2 patterns (gojsonschema compiles `pattern` with Go's regexp): linear-time matching, Go's syntax. */
function re2Engine(pattern: string): { test: (s: string) => boolean } {
  const re = RE2JS.compile(pattern);
  return { test: (s: string) => re.matcher(s).find() };
}
re2Engine.code = 're2js';

const AJV_OPTIONS: Options = {
  allErrors: true,
  // Unknown keywords and formats are ignored, as gojsonschema ignores them.
  strict: false,
  // Remote references are never fetched: evaluation must not reach the network.
  loadSchema: undefined,
  code: { regExp: re2Engine },
};
/** Draft-06/07 and schemas naming no (or another) draft, which gojsonschema reads with draft-7 keywords. */
const ajv = addFormats(new Ajv(AJV_OPTIONS));
/** Draft-04 schemas (boolean exclusiveMinimum/Maximum, `id`). */
const ajvDraft04 = addFormats(new AjvDraft04(AJV_OPTIONS));

/** The validator for a schema's `$schema`, and the schema as that validator should read it. */
function engineFor(schema: unknown): { engine: Ajv; schema: unknown } {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return { engine: ajv, schema };
  const declared = (schema as Record<string, unknown>).$schema;
  if (declared === undefined) return { engine: ajv, schema };
  if (typeof declared === 'string' && /draft-04\/schema/.test(declared)) return { engine: ajvDraft04, schema };
  // Other drafts are read as draft-07 (gojsonschema's hybrid reading); ajv would refuse an unknown meta-schema.
  const rest: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema))
    if (k !== '$schema') Object.defineProperty(rest, k, { value: v, enumerable: true });
  return { engine: ajv, schema: rest };
}

/** Compiled validators by schema text; schemas are usually constants of a policy. */
const compiled = new Map<string, ValidateFunction>();
const MAX_CACHED = 200;
/** Longer schemas are compiled per call, not kept: the cache outlives evaluations and their budgets. */
const MAX_CACHED_SCHEMA_LENGTH = 64 * 1024;
/** Compiling generates code several times the schema's size: bytes charged per schema text code unit. */
const COMPILE_BYTES_PER_UNIT = 16;
/** (schema node, document node) pairs one evaluation step stands for: ajv's generated code is tight. */
const PAIRS_PER_STEP = 64;

/** A schema or document operand as JSON data, with its size charged; throws `message` on a bad operand. */
function loadOperand(v: Value, ctx: BuiltinContext): { data: unknown; text: string } {
  if (typeof v === 'string') {
    ctx.alloc(stringBytes(v.length) * 2);
    let parsed: Value;
    try {
      parsed = parseJSON(v);
    } catch {
      throw new OperandError('invalid JSON string');
    }
    return { data: toJS(parsed), text: v };
  }
  if (v instanceof RegoObject || Array.isArray(v)) {
    const data = toJS(v);
    const text = JSON.stringify(data);
    ctx.alloc(stringBytes(text.length));
    return { data, text };
  }
  throw new OperandError('wrong type, expected string or object');
}

/** A schema or document operand that is no JSON (OPA's loader error). */
class OperandError extends Error {}

/** A schema gojsonschema would refuse to compile. */
class InvalidSchemaError extends Error {}

/** Number of nodes in JSON data: the unit validation work is charged in. */
function countNodes(data: unknown): number {
  let n = 1;
  if (Array.isArray(data)) for (const x of data) n += countNodes(x);
  else if (data !== null && typeof data === 'object') for (const x of Object.values(data)) n += countNodes(x);
  return n;
}

/** Compiles a schema (cached by its text), or throws InvalidSchemaError with gojsonschema's message. */
function compileSchema(schema: { data: unknown; text: string }, ctx: BuiltinContext): ValidateFunction {
  const hit = compiled.get(schema.text);
  if (hit) return hit;
  ctx.alloc(stringBytes(schema.text.length) * COMPILE_BYTES_PER_UNIT);
  ctx.step(countNodes(schema.data));
  if (typeof schema.data !== 'object' && typeof schema.data !== 'boolean')
    throw new InvalidSchemaError('schema is invalid: a schema must be an object or a boolean');
  const { engine, schema: data } = engineFor(schema.data);
  const metaValid = engine.validateSchema(data as object);
  if (!metaValid) throw new InvalidSchemaError(schemaErrorText(engine.errors ?? [], schema.data));
  const contradiction = contradictoryBounds(schema.data);
  if (contradiction) throw new InvalidSchemaError(contradiction);
  let validate: ValidateFunction;
  try {
    validate = engine.compile(data as object);
  } catch (error) {
    throw new InvalidSchemaError((error as Error).message);
  } finally {
    // Each call stands alone, as in OPA: another schema with the same $id must not collide with this one,
    // and no schema of one evaluation may be referenced from another. Compiled functions keep working.
    engine.removeSchema();
  }
  if (schema.text.length <= MAX_CACHED_SCHEMA_LENGTH) {
    if (compiled.size >= MAX_CACHED) compiled.delete(compiled.keys().next().value as string);
    compiled.set(schema.text, validate);
  }
  return validate;
}

/** Lower bounds above their upper bounds, which gojsonschema refuses when compiling (ajv accepts them). */
function contradictoryBounds(schema: unknown): string | undefined {
  if (schema === null || typeof schema !== 'object') return undefined;
  if (Array.isArray(schema)) {
    for (const x of schema) {
      const found = contradictoryBounds(x);
      if (found) return found;
    }
    return undefined;
  }
  const o = schema as Record<string, unknown>;
  const above = (low: string, high: string): boolean =>
    typeof o[low] === 'number' && typeof o[high] === 'number' && (o[low] as number) > (o[high] as number);
  if (above('minLength', 'maxLength')) return 'minLength cannot be greater than maxLength';
  if (above('minProperties', 'maxProperties')) return 'minProperties cannot be greater than maxProperties';
  for (const x of Object.values(o)) {
    const found = contradictoryBounds(x);
    if (found) return found;
  }
  return undefined;
}

/** gojsonschema's text for the first meta-schema violation ajv found. */
function schemaErrorText(errors: ErrorObject[], schema: unknown): string {
  const typeError = errors.find((e) => /(^|\/)type(\/\d+)?$/.test(e.instancePath));
  if (typeError) {
    const given = valueAt(schema, typeError.instancePath);
    const names = Array.isArray(given) ? given : [given];
    const bad = names.find((t) => typeof t !== 'string' || !PRIMITIVE_TYPES.includes(t));
    if (typeof bad === 'string')
      return `has a primitive type that is NOT VALID -- given: /${bad}/ Expected valid values are:[${PRIMITIVE_TYPES.join(' ')}]`;
  }
  const first = errors[0];
  if (!first) return 'schema is invalid';
  const key = first.instancePath.split('/').pop() || '(root)';
  return `${key} ${first.message ?? 'is invalid'}`;
}

/** The JSON value at a JSON pointer (ajv's instancePath of a meta-schema error). */
function valueAt(data: unknown, pointer: string): unknown {
  let cur = data;
  for (const raw of pointer.split('/').slice(1)) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** One error object in OPA's shape. */
interface SchemaError {
  error: string;
  type: string;
  field: string;
  desc: string;
}

/** gojsonschema's field: the instance path joined by dots, `(Root)` for the document itself. */
function fieldOf(instancePath: string): string {
  if (instancePath === '') return '(Root)';
  return instancePath
    .split('/')
    .slice(1)
    .map((k) => k.replace(/~1/g, '/').replace(/~0/g, '~'))
    .join('.');
}

/** gojsonschema's name for a JSON value's type (whole numbers are integers). */
function jsonTypeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

/** Maps one ajv error to gojsonschema's type and description; undefined when gojsonschema reports none. */
function describe(e: ErrorObject, document: unknown): { type: string; desc: string; field: string } | undefined {
  const p = e.params as Record<string, unknown>;
  const field = fieldOf(e.instancePath);
  const value = valueAt(document, e.instancePath);
  const join = (xs: unknown): string => (Array.isArray(xs) ? xs.map((x) => JSON.stringify(x)).join(', ') : '');
  switch (e.keyword) {
    case 'type': {
      const t = p.type;
      const expected = Array.isArray(t) ? `[${t.join(',')}]` : String(t);
      return {
        type: 'invalid_type',
        field,
        desc: `Invalid type. Expected: ${expected}, given: ${jsonTypeName(value)}`,
      };
    }
    case 'required':
      return { type: 'required', field, desc: `${String(p.missingProperty)} is required` };
    case 'enum':
      return { type: 'enum', field, desc: `${field} must be one of the following: ${join(p.allowedValues)}` };
    case 'const':
      return { type: 'const', field, desc: `${field} does not match: ${JSON.stringify(p.allowedValue)}` };
    case 'anyOf':
      return { type: 'number_any_of', field, desc: 'Must validate at least one schema (anyOf)' };
    case 'oneOf':
      return { type: 'number_one_of', field, desc: 'Must validate one and only one schema (oneOf)' };
    case 'not':
      return { type: 'number_not', field, desc: 'Must not validate the schema (not)' };
    case 'false schema':
      return { type: 'false', field, desc: 'False always fails validation' };
    case 'dependencies':
    case 'dependentRequired':
      return { type: 'missing_dependency', field, desc: `Has a dependency on ${String(p.missingProperty)}` };
    case 'additionalItems':
      return { type: 'array_no_additional_items', field, desc: 'No additional items allowed on array' };
    case 'minItems':
      return { type: 'array_min_items', field, desc: `Array must have at least ${String(p.limit)} items` };
    case 'maxItems':
      return { type: 'array_max_items', field, desc: `Array must have at most ${String(p.limit)} items` };
    case 'uniqueItems':
      return { type: 'unique', field, desc: `array items[${String(p.j)},${String(p.i)}] must be unique` };
    case 'contains':
      return { type: 'contains', field, desc: 'At least one of the items must match' };
    case 'minProperties':
      return { type: 'array_min_properties', field, desc: `Must have at least ${String(p.limit)} properties` };
    case 'maxProperties':
      return { type: 'array_max_properties', field, desc: `Must have at most ${String(p.limit)} properties` };
    case 'additionalProperties':
      return {
        type: 'additional_property_not_allowed',
        field,
        desc: `Additional property ${String(p.additionalProperty)} is not allowed`,
      };
    case 'propertyNames':
      return {
        type: 'invalid_property_name',
        field,
        desc: `Property name of "${String(p.propertyName)}" does not match`,
      };
    case 'minLength':
      return { type: 'string_gte', field, desc: `String length must be greater than or equal to ${String(p.limit)}` };
    case 'maxLength':
      return { type: 'string_lte', field, desc: `String length must be less than or equal to ${String(p.limit)}` };
    case 'pattern':
      return { type: 'pattern', field, desc: `Does not match pattern '${String(p.pattern)}'` };
    case 'format':
      return { type: 'format', field, desc: `Does not match format '${String(p.format)}'` };
    case 'multipleOf':
      return { type: 'multiple_of', field, desc: `Must be a multiple of ${String(p.multipleOf)}` };
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const limit = String(p.limit);
      const byComparison: Record<string, [string, string]> = {
        '>=': ['number_gte', `Must be greater than or equal to ${limit}`],
        '>': ['number_gt', `Must be greater than ${limit}`],
        '<=': ['number_lte', `Must be less than or equal to ${limit}`],
        '<': ['number_lt', `Must be less than ${limit}`],
      };
      const [type, desc] = byComparison[String(p.comparison)] ?? ['internal', e.message ?? ''];
      return { type, field, desc };
    }
    case 'if':
      return p.failingKeyword === 'else'
        ? { type: 'condition_else', field, desc: 'Must validate "else" as "if" was not valid' }
        : { type: 'condition_then', field, desc: 'Must validate "then" as "if" was valid' };
    default:
      return { type: 'internal', field, desc: `Internal Error ${e.message ?? e.keyword}` };
  }
}

/**
 * Puts ajv's errors in gojsonschema's order and selection: a type mismatch ends checks of that node, and a
 * failed anyOf/oneOf reports itself first, then only the errors of its closest branch (fewest errors).
 */
function gojsonschemaErrors(errors: ErrorObject[]): ErrorObject[] {
  const typeFailed = new Set(
    errors.filter((e) => e.keyword === 'type').map((e) => `${e.instancePath}\0${parentOf(e.schemaPath)}`),
  );
  const kept = errors.filter(
    (e) => e.keyword === 'type' || !typeFailed.has(`${e.instancePath}\0${parentOf(e.schemaPath)}`),
  );
  const combinators = kept.filter((e) => e.keyword === 'anyOf' || e.keyword === 'oneOf');
  const dropped = new Set<ErrorObject>();
  const before = new Map<ErrorObject, ErrorObject[]>();
  // A failed if/then/else reports itself before the errors of the branch that failed.
  for (const c of kept.filter((e) => e.keyword === 'if')) {
    const prefix = `${parentOf(c.schemaPath)}/${String((c.params as Record<string, unknown>).failingKeyword)}/`;
    const branch = kept.filter((e) => e.schemaPath.startsWith(prefix));
    for (const e of branch) dropped.add(e);
    before.set(c, branch);
  }
  for (const c of combinators) {
    const prefix = `${c.schemaPath}/`;
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of kept) {
      if (!e.schemaPath.startsWith(prefix)) continue;
      const branch = e.schemaPath.slice(prefix.length).split('/')[0] as string;
      byBranch.set(branch, [...(byBranch.get(branch) ?? []), e]);
    }
    let best: ErrorObject[] = [];
    for (const branchErrors of byBranch.values())
      if (best.length === 0 || branchErrors.length < best.length) best = branchErrors;
    for (const list of byBranch.values()) for (const e of list) if (!best.includes(e)) dropped.add(e);
    for (const e of best) dropped.add(e);
    before.set(c, best);
  }
  const out: ErrorObject[] = [];
  const emitted = new Set<ErrorObject>();
  const emit = (e: ErrorObject): void => {
    if (emitted.has(e)) return;
    emitted.add(e);
    out.push(e);
    for (const x of before.get(e) ?? []) emit(x);
  };
  for (const e of kept) if (!dropped.has(e)) emit(e);
  return out;
}

/** The order gojsonschema checks a node's keywords in (validateSchema, validateCommon, then by type). */
const KEYWORD_ORDER = [
  'anyOf',
  'oneOf',
  'allOf',
  'not',
  'dependencies',
  'if',
  'const',
  'enum',
  'format',
  'multipleOf',
  'maximum',
  'exclusiveMaximum',
  'minimum',
  'exclusiveMinimum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'uniqueItems',
  'contains',
  'maxProperties',
  'minProperties',
  'required',
  'additionalProperties',
  'propertyNames',
];

/** Sorts each run of errors about one node and one schema into gojsonschema's keyword order. */
function inKeywordOrder(errors: ErrorObject[]): ErrorObject[] {
  const out: ErrorObject[] = [];
  const rank = (e: ErrorObject): number => {
    const i = KEYWORD_ORDER.indexOf(e.keyword);
    return i < 0 ? KEYWORD_ORDER.length : i;
  };
  let run: ErrorObject[] = [];
  const flush = (): void => {
    out.push(...run.sort((a, b) => rank(a) - rank(b)));
    run = [];
  };
  for (const e of errors) {
    const first = run[0];
    if (first && (first.instancePath !== e.instancePath || parentOf(first.schemaPath) !== parentOf(e.schemaPath)))
      flush();
    run.push(e);
  }
  flush();
  return out;
}

function parentOf(schemaPath: string): string {
  return schemaPath.slice(0, schemaPath.lastIndexOf('/'));
}

register('json.verify_schema', 1, (args, ctx) => {
  let schema: { data: unknown; text: string };
  try {
    schema = loadOperand(args[0] as Value, ctx);
  } catch (error) {
    if (error instanceof OperandError) return [false, `jsonschema: ${error.message}`];
    throw error;
  }
  try {
    compileSchema(schema, ctx);
  } catch (error) {
    if (error instanceof InvalidSchemaError) return [false, `jsonschema: ${error.message}`];
    throw error;
  }
  return [true, null];
});

register('json.match_schema', 2, (args, ctx) => {
  let document: { data: unknown; text: string };
  let schema: { data: unknown; text: string };
  try {
    document = loadOperand(args[0] as Value, ctx);
    schema = loadOperand(args[1] as Value, ctx);
  } catch (error) {
    if (error instanceof OperandError) throw new BuiltinError(error.message);
    throw error;
  }
  let validate: ValidateFunction;
  try {
    validate = compileSchema(schema, ctx);
  } catch (error) {
    if (error instanceof InvalidSchemaError) throw new BuiltinError(error.message);
    throw error;
  }
  // Validation applies each schema node at most once to each document node (anyOf/oneOf branches included),
  // and uniqueItems compares pairs of items: charge those bounds before doing the work.
  const documentNodes = countNodes(document.data);
  const schemaNodes = countNodes(schema.data);
  let work = documentNodes + Math.ceil((documentNodes * schemaNodes) / PAIRS_PER_STEP);
  if (schema.text.includes('uniqueItems')) work += Math.ceil((documentNodes * documentNodes) / PAIRS_PER_STEP);
  ctx.step(work);
  if (validate(document.data)) return [true, []];
  const errors = gojsonschemaErrors(inKeywordOrder(validate.errors ?? []));
  ctx.alloc(errors.length * ELEMENT_BYTES * 8);
  const result: Value[] = [];
  for (const e of errors) {
    const d = describe(e, document.data);
    if (!d) continue;
    const o: SchemaError = { error: `${d.field}: ${d.desc}`, type: d.type, field: d.field, desc: d.desc };
    result.push(new RegoObject(Object.entries(o) as [Value, Value][]));
  }
  return [false, result];
});
