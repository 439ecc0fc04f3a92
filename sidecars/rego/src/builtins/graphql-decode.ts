// ASTs given to graphql.parse / parse_and_verify / is_valid / schema_is_valid as objects: OPA turns them
// into gqlparser's Go structs with encoding/json, so each object becomes that struct (known fields kept,
// missing ones at their zero value, others dropped; a wrong type is an error), and every selection is
// decoded as a Field first, as gqlparser's UnmarshalSelectionSet does (decision 119). Positions are not
// read from objects: errors about such a document carry none, as in OPA for pruned ASTs.
import { RegoObject, RegoSet, isNumber, type Value } from '../value';
import type { Node } from './graphql-parser';
import type { Work } from './graphql-schema';

/**
 * A JSON value that does not fit the Go type (encoding/json's UnmarshalTypeError). Go names the struct
 * holding the field and the path of field names walked; inside gqlparser's own decoders (Field,
 * InlineFragment, OperationDefinition, FragmentDefinition) their keys add nothing and the struct named
 * stays the one around the first of them.
 */
export class DecodeError extends Error {
  constructor(jsonType: string, where: string, goType: string) {
    super(`json: cannot unmarshal ${jsonType} into Go struct field ${where} of type ${goType}`);
    this.name = 'DecodeError';
  }
}

/**
 * An AST object gqlparser decodes but then crashes on (a nil Type, Value or unknown operation type makes
 * OPA itself panic): refused with the place and the problem instead.
 */
export class MalformedAstError extends Error {
  constructor(message: string) {
    super(`invalid GraphQL AST: ${message}`);
    this.name = 'MalformedAstError';
  }
}

type Spec =
  | { t: 'string'; go: string }
  | { t: 'bool' }
  | { t: 'int'; go: string }
  | { t: 'list'; of: Spec; go: string }
  /** `custom`: decoded by gqlparser's own UnmarshalJSON (a map of raw keys first). */
  | {
      t: 'struct';
      name: string;
      fields: () => Record<string, Spec>;
      custom?: boolean;
      /** What gqlparser's validator would crash on, if anything. */
      check?: (node: Node) => string | undefined;
    }
  | { t: 'selections' }
  /** A field gqlparser's decoder never reads: always its zero value. */
  | { t: 'unread'; zero: null | string };

const STRING: Spec = { t: 'string', go: 'string' };
const OPERATION_TYPE: Spec = { t: 'string', go: 'ast.Operation' };
const BOOL: Spec = { t: 'bool' };
const STRINGS: Spec = { t: 'list', of: STRING, go: '[]string' };
const IGNORE: Spec = { t: 'unread', zero: null };
const IGNORE_STRING: Spec = { t: 'unread', zero: '' };
/** A slice; `go` is its Go type's name (for error texts). */
const list = (of: Spec, go: string): Spec => ({ t: 'list', of, go: go.startsWith('[') ? go : `ast.${go}` });
const struct = (
  name: string,
  fields: () => Record<string, Spec>,
  check?: (node: Node) => string | undefined,
): Spec => ({ t: 'struct', name, fields, check });
const needs = (key: string) => (node: Node) => (node[key] === null ? `has no ${key}` : undefined);
const custom = (
  name: string,
  fields: () => Record<string, Spec>,
  check?: (node: Node) => string | undefined,
): Spec => ({ t: 'struct', name, fields, custom: true, check });

const COMMENT: Spec = struct('CommentGroup', () => ({
  List: list(
    struct('Comment', () => ({ Value: STRING })),
    '[]*ast.Comment',
  ),
}));
const TYPE: Spec = struct(
  'Type',
  () => ({ NamedType: STRING, Elem: TYPE, NonNull: BOOL }),
  (t) => (t.NamedType === '' && t.Elem === null ? 'names no type (neither NamedType nor Elem)' : undefined),
);
const VALUE: Spec = struct(
  'Value',
  () => ({
    Raw: STRING,
    Children: list(
      struct('ChildValue', () => ({ Name: STRING, Value: VALUE, Comment: COMMENT }), needs('Value')),
      'ChildValueList',
    ),
    Kind: { t: 'int', go: 'ast.ValueKind' },
    Comment: COMMENT,
    // Annotations the validator sets: taken as absent (their zero value) from objects.
    Definition: IGNORE,
    VariableDefinition: IGNORE,
    ExpectedType: IGNORE,
    ExpectedTypeHasDefault: BOOL,
  }),
  (v) =>
    typeof v.Kind === 'number' && v.Kind >= 0 && v.Kind <= 9
      ? undefined
      : `Kind ${String(v.Kind)} is no value kind (0 to 9)`,
);
const ARGUMENT: Spec = struct('Argument', () => ({ Name: STRING, Value: VALUE, Comment: COMMENT }), needs('Value'));
const DIRECTIVE: Spec = struct('Directive', () => ({
  Name: STRING,
  Arguments: list(ARGUMENT, 'ArgumentList'),
  ParentDefinition: IGNORE,
  Definition: IGNORE,
  Location: { t: 'string', go: 'ast.DirectiveLocation' },
}));
const VARIABLE: Spec = struct(
  'VariableDefinition',
  () => ({
    Description: STRING,
    Variable: STRING,
    Type: TYPE,
    DefaultValue: VALUE,
    Directives: list(DIRECTIVE, 'DirectiveList'),
    Comment: COMMENT,
    Definition: IGNORE,
    Used: BOOL,
  }),
  needs('Type'),
);
const SELECTIONS: Spec = { t: 'selections' };
// gqlparser's own decoders for these read only the keys listed (no Description, no Comment).
const FIELD: Spec = custom('Field', () => ({
  Alias: STRING,
  Name: STRING,
  Arguments: list(ARGUMENT, 'ArgumentList'),
  Directives: list(DIRECTIVE, 'DirectiveList'),
  SelectionSet: SELECTIONS,
  Definition: IGNORE,
  ObjectDefinition: IGNORE,
}));
const SPREAD: Spec = struct('FragmentSpread', () => ({
  Name: STRING,
  Directives: list(DIRECTIVE, 'DirectiveList'),
  ObjectDefinition: IGNORE,
  Definition: IGNORE,
  Comment: COMMENT,
}));
const INLINE: Spec = custom('InlineFragment', () => ({
  TypeCondition: STRING,
  Directives: list(DIRECTIVE, 'DirectiveList'),
  SelectionSet: SELECTIONS,
  ObjectDefinition: IGNORE,
}));
const OPERATION: Spec = custom(
  'OperationDefinition',
  () => ({
    Description: IGNORE_STRING,
    Operation: OPERATION_TYPE,
    Name: STRING,
    VariableDefinitions: list(VARIABLE, 'VariableDefinitionList'),
    Directives: list(DIRECTIVE, 'DirectiveList'),
    SelectionSet: SELECTIONS,
    Comment: IGNORE,
  }),
  (op) =>
    ['', 'query', 'mutation', 'subscription'].includes(op.Operation as string)
      ? undefined
      : `Operation ${JSON.stringify(op.Operation)} is not query, mutation or subscription`,
);
const FRAGMENT: Spec = custom('FragmentDefinition', () => ({
  Description: IGNORE_STRING,
  Name: STRING,
  VariableDefinition: list(VARIABLE, 'VariableDefinitionList'),
  TypeCondition: STRING,
  Directives: list(DIRECTIVE, 'DirectiveList'),
  SelectionSet: SELECTIONS,
  Definition: IGNORE,
  Comment: IGNORE,
}));
const QUERY: Spec = struct('QueryDocument', () => ({
  Operations: list(OPERATION, 'OperationList'),
  Fragments: list(FRAGMENT, 'FragmentDefinitionList'),
  Comment: COMMENT,
}));

const ARGUMENT_DEFINITION: Spec = struct(
  'ArgumentDefinition',
  () => ({
    Description: STRING,
    Name: STRING,
    DefaultValue: VALUE,
    Type: TYPE,
    Directives: list(DIRECTIVE, 'DirectiveList'),
    BeforeDescriptionComment: COMMENT,
    AfterDescriptionComment: COMMENT,
  }),
  needs('Type'),
);
const FIELD_DEFINITION: Spec = struct(
  'FieldDefinition',
  () => ({
    Description: STRING,
    Name: STRING,
    Arguments: list(ARGUMENT_DEFINITION, 'ArgumentDefinitionList'),
    DefaultValue: VALUE,
    Type: TYPE,
    Directives: list(DIRECTIVE, 'DirectiveList'),
    BeforeDescriptionComment: COMMENT,
    AfterDescriptionComment: COMMENT,
  }),
  needs('Type'),
);
const DEFINITION: Spec = struct('Definition', () => ({
  Kind: { t: 'string', go: 'ast.DefinitionKind' },
  Description: STRING,
  Name: STRING,
  Directives: list(DIRECTIVE, 'DirectiveList'),
  Interfaces: STRINGS,
  Fields: list(FIELD_DEFINITION, 'FieldList'),
  Types: STRINGS,
  EnumValues: list(
    struct('EnumValueDefinition', () => ({
      Description: STRING,
      Name: STRING,
      Directives: list(DIRECTIVE, 'DirectiveList'),
      BeforeDescriptionComment: COMMENT,
      AfterDescriptionComment: COMMENT,
    })),
    'EnumValueList',
  ),
  BuiltIn: BOOL,
  BeforeDescriptionComment: COMMENT,
  AfterDescriptionComment: COMMENT,
  EndOfDefinitionComment: COMMENT,
}));
const DIRECTIVE_DEFINITION: Spec = struct('DirectiveDefinition', () => ({
  Description: STRING,
  Name: STRING,
  Arguments: list(ARGUMENT_DEFINITION, 'ArgumentDefinitionList'),
  Directives: list(DIRECTIVE, 'DirectiveList'),
  Locations: { t: 'list', of: { t: 'string', go: 'ast.DirectiveLocation' }, go: '[]ast.DirectiveLocation' },
  IsRepeatable: BOOL,
  BeforeDescriptionComment: COMMENT,
  AfterDescriptionComment: COMMENT,
}));
const SCHEMA_DEFINITION: Spec = struct('SchemaDefinition', () => ({
  Description: STRING,
  Directives: list(DIRECTIVE, 'DirectiveList'),
  OperationTypes: list(
    struct('OperationTypeDefinition', () => ({ Operation: OPERATION_TYPE, Type: STRING, Comment: COMMENT })),
    'OperationTypeDefinitionList',
  ),
  BeforeDescriptionComment: COMMENT,
  AfterDescriptionComment: COMMENT,
  EndOfDefinitionComment: COMMENT,
}));
const SCHEMA: Spec = struct('SchemaDocument', () => ({
  Schema: list(SCHEMA_DEFINITION, 'SchemaDefinitionList'),
  SchemaExtension: list(SCHEMA_DEFINITION, 'SchemaDefinitionList'),
  Directives: list(DIRECTIVE_DEFINITION, 'DirectiveDefinitionList'),
  DirectiveExtensions: list(DIRECTIVE_DEFINITION, 'DirectiveDefinitionList'),
  Definitions: list(DEFINITION, 'DefinitionList'),
  Extensions: list(DEFINITION, 'DefinitionList'),
  Comment: COMMENT,
}));

function jsonType(v: Value): string {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return 'bool';
  if (isNumber(v)) return 'number';
  if (typeof v === 'string') return 'string';
  if (Array.isArray(v) || v instanceof RegoSet) return 'array';
  return 'object';
}

function elements(v: Value): Value[] | undefined {
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  return undefined;
}

/** Where a value sits, for Go's error texts. */
interface Place {
  /** The struct Go names: the innermost one, or the one around the first custom decoder. */
  owner: string;
  path: string[];
  inCustom: boolean;
  /** The whole way there (keys and indexes), for MalformedAstError. */
  full: string;
}

class Decoder {
  /** Shapes gqlparser would crash on, in document order (reported once decoding is done). */
  readonly problems: string[] = [];

  constructor(private readonly work: Work) {}

  private error(v: Value, path: Place, goType: string, detail = ''): DecodeError {
    return new DecodeError(jsonType(v) + detail, [path.owner, ...path.path].join('.'), goType);
  }

  decode(spec: Spec, v: Value, path: Place): unknown {
    this.work.step(1);
    switch (spec.t) {
      case 'unread':
        return spec.zero;
      case 'string':
        if (v === null) return '';
        if (typeof v !== 'string') throw this.error(v, path, spec.go);
        return v;
      case 'bool':
        if (v === null) return false;
        if (typeof v !== 'boolean') throw this.error(v, path, 'bool');
        return v;
      case 'int': {
        if (v === null) return 0;
        const n = typeof v === 'bigint' ? Number(v) : v;
        if (typeof n !== 'number' || !Number.isSafeInteger(n))
          throw this.error(v, path, spec.go, typeof n === 'number' ? ` ${String(n)}` : '');
        return n;
      }
      case 'list': {
        if (v === null) return null;
        const xs = elements(v);
        if (!xs) throw this.error(v, path, spec.go);
        this.work.enter();
        // A null element is a nil pointer, which the JSON OPA returns leaves out.
        const out = xs
          .map((x, i) => this.decode(spec.of, x, { ...path, full: `${path.full}[${i}]` }))
          .filter((x) => x !== null);
        this.work.leave();
        return out;
      }
      case 'selections':
        return this.selections(v, path);
      case 'struct': {
        if (v === null) return null;
        if (!(v instanceof RegoObject))
          throw this.error(v, path, spec.custom ? 'map[string]json.RawMessage' : `ast.${spec.name}`);
        const fields = spec.fields();
        const out: Node = {};
        this.work.enter();
        // Keys in the order OPA's JSON has them (sorted), so the first type error is Go's first.
        for (const key of Object.keys(fields).sort()) {
          const fieldSpec = fields[key] as Spec;
          const x = v.get(key);
          const full = `${path.full}.${key}`;
          const place: Place =
            spec.custom || path.inCustom
              ? { owner: path.owner, path: spec.custom ? path.path : [...path.path, key], inCustom: true, full }
              : { owner: spec.name, path: [...path.path, key], inCustom: false, full };
          out[key] = this.decode(fieldSpec, x === undefined ? null : x, place);
        }
        this.work.leave();
        const problem = spec.check?.(out);
        if (problem) this.problems.push(`${path.full} ${problem}`);
        return out;
      }
    }
  }

  /** gqlparser's UnmarshalSelectionSet: each item as a Field, else a FragmentSpread, else an InlineFragment, else dropped. */
  private selections(v: Value, path: Place): Node[] | null {
    if (v === null) return [];
    const xs = elements(v);
    if (!xs) throw this.error(v, path, '[]json.RawMessage');
    const out: Node[] = [];
    xs.forEach((item, i) => {
      // A null item decodes as an empty Field (gqlparser's decoder reads no keys from it).
      const x = item === null ? new RegoObject() : item;
      for (const spec of [FIELD, SPREAD, INLINE]) {
        const problems = this.problems.length;
        try {
          out.push(this.decode(spec, x, { ...path, full: `${path.full}[${i}]` }) as Node);
          break;
        } catch (error) {
          if (!(error instanceof DecodeError)) throw error;
          this.problems.length = problems; // that reading of the item was abandoned
        }
      }
    });
    return out;
  }
}

function decodeDocument(spec: Spec, root: string, v: Value, work: Work): Node {
  const decoder = new Decoder(work);
  const doc = decoder.decode(spec, v, { owner: root, path: [], inCustom: false, full: root }) as Node;
  if (decoder.problems.length > 0) throw new MalformedAstError(decoder.problems[0] as string);
  return doc;
}

/** A query document given as an object, as gqlparser's structs decode it. */
export function decodeQueryDocument(v: Value, work: Work): Node {
  return decodeDocument(QUERY, 'QueryDocument', v, work);
}

/** A schema document given as an object, as gqlparser's structs decode it. */
export function decodeSchemaDocument(v: Value, work: Work): Node {
  return decodeDocument(SCHEMA, 'SchemaDocument', v, work);
}
