// gqlparser's schema checks (ValidateSchemaDocument): the prelude merged in front of the caller's schema,
// extensions applied, then types, input-object cycles, directives and root operation types checked, with
// gqlparser's error texts and positions (decision 119). Behaviour and texts follow gqlparser v2.5.64
// (read, not copied); the document is the JSON-shaped AST of graphql-parser.ts.
import { parseSchemaDocument, type Position } from './graphql-parser';

/** A gqlparser error: message and where (`undefined` location = none; a missing position is -1:-1). */
export class GqlError {
  constructor(
    readonly message: string,
    readonly location?: { line: number; column: number },
  ) {}

  /** gqlerror.Error's text: `input:L:C: message` (the source is unnamed, so gqlparser says "input"). */
  toString(): string {
    const where = this.location ? `:${this.location.line}:${this.location.column}` : '';
    return `input${where}: ${this.message}`;
  }
}

/** gqlerror.ErrorPosf: a missing position (an AST given as an object) becomes -1:-1. */
function errorAt(position: Position | undefined, message: string): GqlError {
  return new GqlError(message, position ? { line: position.Line, column: position.Column } : { line: -1, column: -1 });
}

/** Thrown by the schema checks: the first problem, as gqlparser stops at the first. */
export class SchemaError extends Error {
  constructor(readonly error: GqlError) {
    super(error.toString());
    this.name = 'SchemaError';
  }
}

/** Refusal when a document nests deeper than this engine recurses (gqlparser, in Go, has no limit). */
export class GraphQLDepthError extends Error {
  constructor() {
    super(`GraphQL document nests deeper than ${MAX_RECURSION} levels`);
    this.name = 'GraphQLDepthError';
  }
}

/** Deepest recursion of any check (fragment chains, input-object chains): bounds the JS stack. */
export const MAX_RECURSION = 2000;

/** Counts recursion depth and work; every loop over the attacker's documents charges `step`. */
export class Work {
  private depth = 0;
  constructor(
    readonly step: (count: number) => void,
    /** Bytes about to be kept (error texts, which quote the attacker's values). */
    readonly alloc: (bytes: number) => void = () => {},
  ) {}

  enter(): void {
    if (++this.depth > MAX_RECURSION) throw new GraphQLDepthError();
  }

  leave(): void {
    this.depth--;
  }
}

// ---- the JSON-shaped AST, as typed views (gqlparser's Go field names) ----

export interface GType {
  NamedType: string;
  Elem: GType | null;
  NonNull: boolean;
  Position?: Position;
}
export interface GChild {
  Name: string;
  Value: GValue | null;
  Position?: Position;
}
export interface GValue {
  Raw: string;
  Children: GChild[] | null;
  Kind: number;
  Position?: Position;
  // set by the query walker
  Definition?: GDefinition | null;
  VariableDefinition?: GVariableDefinition | null;
  ExpectedType?: GType | null;
  ExpectedTypeHasDefault?: boolean;
}
export interface GArgument {
  Name: string;
  Value: GValue;
  Position?: Position;
}
export interface GDirective {
  Name: string;
  Arguments: GArgument[] | null;
  Position?: Position;
  // set by the query walker
  Definition?: GDirectiveDefinition | null;
  Location?: string;
}
export interface GArgumentDefinition {
  Name: string;
  DefaultValue: GValue | null;
  Type: GType;
  Directives: GDirective[] | null;
  Position?: Position;
}
export interface GFieldDefinition {
  Name: string;
  Arguments: GArgumentDefinition[] | null;
  DefaultValue: GValue | null;
  Type: GType;
  Directives: GDirective[] | null;
  Position?: Position;
}
export interface GEnumValue {
  Name: string;
  Directives: GDirective[] | null;
  Position?: Position;
}
export interface GDefinition {
  Kind: string;
  Name: string;
  Directives: GDirective[] | null;
  Interfaces: string[] | null;
  Fields: GFieldDefinition[] | null;
  Types: string[] | null;
  TypePositions?: Position[];
  EnumValues: GEnumValue[] | null;
  BuiltIn: boolean;
  Position?: Position;
}
export interface GDirectiveDefinition {
  Name: string;
  Arguments: GArgumentDefinition[] | null;
  Directives: GDirective[] | null;
  Locations: string[] | null;
  IsRepeatable: boolean;
  Position?: Position;
}
export interface GOperationType {
  Operation: string;
  Type: string;
  Position?: Position;
}
export interface GSchemaDefinition {
  Directives: GDirective[] | null;
  OperationTypes: GOperationType[] | null;
  Position?: Position;
}
export interface GSchemaDocument {
  Schema: GSchemaDefinition[] | null;
  SchemaExtension: GSchemaDefinition[] | null;
  Directives: GDirectiveDefinition[] | null;
  DirectiveExtensions: GDirectiveDefinition[] | null;
  Definitions: GDefinition[] | null;
  Extensions: GDefinition[] | null;
}
export interface GVariableDefinition {
  Variable: string;
  Type: GType;
  DefaultValue: GValue | null;
  Directives: GDirective[] | null;
  Position?: Position;
  Definition?: GDefinition | null;
  Used?: boolean;
}

/** A validated schema (gqlparser's ast.Schema). */
export interface Schema {
  query: GDefinition | null;
  mutation: GDefinition | null;
  subscription: GDefinition | null;
  types: Map<string, GDefinition>;
  directives: Map<string, GDirectiveDefinition>;
  /** Per interface/union/object name, the object types it may be (undefined for a missing member). */
  possibleTypes: Map<string, (GDefinition | undefined)[]>;
}

export const list = <T>(xs: T[] | null | undefined): T[] => xs ?? [];

export function typeName(t: GType): string {
  let x = t;
  while (x.NamedType === '' && x.Elem) x = x.Elem;
  return x.NamedType;
}

export function typeString(t: GType): string {
  const bang = t.NonNull ? '!' : '';
  if (t.NamedType !== '' || !t.Elem) return t.NamedType + bang;
  return `[${typeString(t.Elem)}]${bang}`;
}

/** ast.Type.IsCompatible: may a value of `t` be used where `other` is expected? */
export function isCompatible(t: GType, other: GType | null): boolean {
  if (!other) return false;
  if (t.NamedType !== other.NamedType) return false;
  if (t.Elem && !other.Elem) return false;
  if (t.Elem && !isCompatible(t.Elem, other.Elem)) return false;
  if (other.NonNull) return t.NonNull;
  return true;
}

/** The first item with the name (gqlparser's ForName), charging each item scanned. */
export function forName<T extends { Name: string }>(
  xs: T[] | null | undefined,
  name: string,
  work: Work,
): T | undefined {
  const i = xs ? xs.findIndex((x) => x.Name === name) : -1;
  work.step(i < 0 ? (xs?.length ?? 0) : i + 1);
  return i < 0 ? undefined : xs?.[i];
}

/** The items' names, charging each. */
export function namesOf(xs: { Name: string }[] | null | undefined, work: Work): string[] {
  work.step(xs?.length ?? 0);
  return list(xs).map((x) => x.Name);
}

/** Whether the list holds the value, charging each item scanned. */
export function contains<T>(xs: T[] | null | undefined, x: T, work: Work): boolean {
  const i = xs ? xs.indexOf(x) : -1;
  work.step(i < 0 ? (xs?.length ?? 0) : i + 1);
  return i >= 0;
}

export const isLeafType = (d: GDefinition): boolean => d.Kind === 'ENUM' || d.Kind === 'SCALAR';
export const isCompositeType = (d: GDefinition): boolean =>
  d.Kind === 'OBJECT' || d.Kind === 'INTERFACE' || d.Kind === 'UNION';
export const isInputType = (d: GDefinition): boolean =>
  d.Kind === 'SCALAR' || d.Kind === 'ENUM' || d.Kind === 'INPUT_OBJECT';

/** The types and directives the spec declares implicitly (gqlparser's prelude, without descriptions). */
const PRELUDE = `
scalar Int
scalar Float
scalar String
scalar Boolean
scalar ID
directive @defer(if: Boolean = true, label: String) on FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @include(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @skip(if: Boolean!) on FIELD | FRAGMENT_SPREAD | INLINE_FRAGMENT
directive @deprecated(reason: String = "No longer supported") on FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION | ENUM_VALUE | DIRECTIVE_DEFINITION
directive @specifiedBy(url: String!) on SCALAR
directive @oneOf on INPUT_OBJECT
type __Schema {
  description: String
  types: [__Type!]!
  queryType: __Type!
  mutationType: __Type
  subscriptionType: __Type
  directives: [__Directive!]!
}
type __Type {
  kind: __TypeKind!
  name: String
  description: String
  specifiedByURL: String
  fields(includeDeprecated: Boolean = false): [__Field!]
  interfaces: [__Type!]
  possibleTypes: [__Type!]
  enumValues(includeDeprecated: Boolean = false): [__EnumValue!]
  inputFields(includeDeprecated: Boolean = false): [__InputValue!]
  ofType: __Type
  isOneOf: Boolean
}
enum __TypeKind { SCALAR OBJECT INTERFACE UNION ENUM INPUT_OBJECT LIST NON_NULL }
type __Field {
  name: String!
  description: String
  args(includeDeprecated: Boolean = false): [__InputValue!]!
  type: __Type!
  isDeprecated: Boolean!
  deprecationReason: String
}
type __InputValue {
  name: String!
  description: String
  type: __Type!
  defaultValue: String
  isDeprecated: Boolean!
  deprecationReason: String
}
type __EnumValue {
  name: String!
  description: String
  isDeprecated: Boolean!
  deprecationReason: String
}
type __Directive {
  name: String!
  description: String
  isRepeatable: Boolean!
  locations: [__DirectiveLocation!]!
  args(includeDeprecated: Boolean = false): [__InputValue!]!
}
enum __DirectiveLocation {
  QUERY MUTATION SUBSCRIPTION FIELD FRAGMENT_DEFINITION FRAGMENT_SPREAD INLINE_FRAGMENT VARIABLE_DEFINITION
  SCHEMA SCALAR OBJECT FIELD_DEFINITION ARGUMENT_DEFINITION INTERFACE UNION ENUM ENUM_VALUE INPUT_OBJECT
  INPUT_FIELD_DEFINITION DIRECTIVE_DEFINITION
}
`;

const PRELUDE_DIRECTIVES = new Set(['defer', 'deprecated', 'include', 'oneOf', 'skip', 'specifiedBy']);

/** A fresh prelude document (validation mutates definitions, so each schema gets its own). */
function prelude(): GSchemaDocument {
  const doc = parseSchemaDocument(PRELUDE) as unknown as GSchemaDocument;
  for (const def of list(doc.Definitions)) def.BuiltIn = true;
  return doc;
}

/**
 * OPA's convertSchema: the prelude and the caller's document merged, then gqlparser's
 * ValidateSchemaDocument. Throws SchemaError with the first problem. Mutates the document.
 */
export function buildSchema(doc: GSchemaDocument, work: Work): Schema {
  const base = prelude();
  const merged: GSchemaDocument = {
    Schema: [...list(base.Schema), ...list(doc.Schema)],
    SchemaExtension: [...list(base.SchemaExtension), ...list(doc.SchemaExtension)],
    Directives: [...list(base.Directives), ...list(doc.Directives)],
    DirectiveExtensions: [...list(base.DirectiveExtensions), ...list(doc.DirectiveExtensions)],
    Definitions: [...list(base.Definitions), ...list(doc.Definitions)],
    Extensions: [...list(base.Extensions), ...list(doc.Extensions)],
  };
  return validateSchemaDocument(merged, work);
}

function fail(position: Position | undefined, message: string): never {
  throw new SchemaError(errorAt(position, message));
}

function validateSchemaDocument(sd: GSchemaDocument, work: Work): Schema {
  const schema: Schema = {
    query: null,
    mutation: null,
    subscription: null,
    types: new Map(),
    directives: new Map(),
    possibleTypes: new Map(),
  };
  for (const def of list(sd.Definitions)) {
    work.step(1);
    if (schema.types.has(def.Name)) fail(def.Position, `Cannot redeclare type ${def.Name}.`);
    schema.types.set(def.Name, def);
  }
  const defs = [...list(sd.Definitions)];
  for (const ext of list(sd.Extensions)) {
    work.step(1);
    let def = schema.types.get(ext.Name);
    if (!def) {
      def = {
        Kind: ext.Kind,
        Name: ext.Name,
        Directives: null,
        Interfaces: null,
        Fields: null,
        Types: null,
        EnumValues: null,
        BuiltIn: false,
        Position: ext.Position,
      };
      schema.types.set(ext.Name, def);
      defs.push(def);
    }
    if (def.Kind !== ext.Kind)
      fail(ext.Position, `Cannot extend type ${ext.Name} because the base type is a ${def.Kind}, not ${ext.Kind}.`);
    def.Directives = [...list(def.Directives), ...list(ext.Directives)];
    def.Interfaces = [...list(def.Interfaces), ...list(ext.Interfaces)];
    def.Fields = [...list(def.Fields), ...list(ext.Fields)];
    // Positions stay aligned with member types only when both sides carry them (else the definition's).
    const aligned = list(def.Types).length === list(def.TypePositions).length;
    const extAligned = list(ext.Types).length === list(ext.TypePositions).length;
    def.Types = [...list(def.Types), ...list(ext.Types)];
    def.TypePositions = aligned && extAligned ? [...list(def.TypePositions), ...list(ext.TypePositions)] : [];
    def.EnumValues = [...list(def.EnumValues), ...list(ext.EnumValues)];
  }
  const addPossible = (name: string, def: GDefinition | undefined): void => {
    const existing = schema.possibleTypes.get(name);
    if (existing) existing.push(def);
    else schema.possibleTypes.set(name, [def]);
  };
  for (const def of defs) {
    work.step(1);
    if (def.Kind === 'UNION') for (const t of list(def.Types)) addPossible(def.Name, schema.types.get(t));
    else if (def.Kind === 'INPUT_OBJECT' || def.Kind === 'OBJECT') {
      for (const intf of list(def.Interfaces)) addPossible(intf, def);
      addPossible(def.Name, def);
    } else if (def.Kind === 'INTERFACE') for (const intf of list(def.Interfaces)) addPossible(intf, def);
  }
  for (const dir of list(sd.Directives)) {
    work.step(1);
    if (schema.directives.has(dir.Name) && !PRELUDE_DIRECTIVES.has(dir.Name))
      fail(dir.Position, `Cannot redeclare directive ${dir.Name}.`);
    schema.directives.set(dir.Name, dir);
  }
  for (const ext of list(sd.DirectiveExtensions)) {
    work.step(1);
    const def = schema.directives.get(ext.Name);
    if (!def) fail(ext.Position, `Cannot extend directive @${ext.Name} because it is not defined.`);
    def.Directives = [...list(def.Directives), ...list(ext.Directives)];
  }
  const schemas = list(sd.Schema);
  if (schemas.length > 1)
    fail(schemas[1]?.Position, 'Cannot have multiple schema entry points, consider schema extensions instead.');
  const rootPositions = new Map<string, Position | undefined>();
  const entryPoints = (def: GSchemaDefinition): void => {
    for (const entry of list(def.OperationTypes)) {
      work.step(1);
      if (rootPositions.has(entry.Operation))
        fail(entry.Position, `There can be only one ${entry.Operation} type in schema.`);
      rootPositions.set(entry.Operation, entry.Position);
      const type = schema.types.get(entry.Type);
      if (!type)
        fail(entry.Position, `Schema root ${entry.Operation} refers to a type ${entry.Type} that does not exist.`);
      if (entry.Operation === 'query') schema.query = type;
      else if (entry.Operation === 'mutation') schema.mutation = type;
      else if (entry.Operation === 'subscription') schema.subscription = type;
    }
    validateDirectives(schema, def.Directives, 'SCHEMA', null, true, work);
  };
  for (const def of schemas) entryPoints(def);
  for (const ext of list(sd.SchemaExtension)) entryPoints(ext);

  for (const name of [...schema.types.keys()].sort()) validateDefinition(schema, schema.types.get(name)!, work);
  validateInputObjectCircularRefs(schema, work);
  for (const name of [...schema.directives.keys()].sort())
    validateDirectiveDefinition(schema, schema.directives.get(name)!, work);

  if (schemas.length === 0) {
    schema.query ??= schema.types.get('Query') ?? null;
    schema.mutation ??= schema.types.get('Mutation') ?? null;
    schema.subscription ??= schema.types.get('Subscription') ?? null;
  }
  const roots: [string, GDefinition | null, string][] = [
    ['query', schema.query, 'Query root type must be Object type, it cannot be %s.'],
    ['mutation', schema.mutation, 'Mutation root type must be Object type if provided, it cannot be %s.'],
    ['subscription', schema.subscription, 'Subscription root type must be Object type if provided, it cannot be %s.'],
  ];
  for (const [operation, def, message] of roots) {
    if (!def || def.Kind === 'OBJECT') continue;
    const position = rootPositions.has(operation) ? rootPositions.get(operation) : def.Position;
    fail(position, message.replace('%s', def.Name));
  }
  if (schema.query) {
    const string = (name: string, nonNull: boolean): GType => ({ NamedType: name, Elem: null, NonNull: nonNull });
    schema.query.Fields = [
      ...list(schema.query.Fields),
      { Name: '__schema', Arguments: null, DefaultValue: null, Type: string('__Schema', true), Directives: null },
      {
        Name: '__type',
        Arguments: [{ Name: 'name', DefaultValue: null, Type: string('String', true), Directives: null }],
        DefaultValue: null,
        Type: string('__Type', false),
        Directives: null,
      },
    ];
  }
  return schema;
}

function validateInputObjectCircularRefs(schema: Schema, work: Work): void {
  const visited = new Set<string>();
  const path: GFieldDefinition[] = [];
  const indexByType = new Map<string, number>();
  const detect = (def: GDefinition): void => {
    if (visited.has(def.Name)) return;
    visited.add(def.Name);
    indexByType.set(def.Name, path.length);
    work.enter();
    for (const field of list(def.Fields)) {
      work.step(1);
      if (!field.Type.NonNull || field.Type.NamedType === '') continue;
      const fieldType = schema.types.get(field.Type.NamedType);
      if (!fieldType || fieldType.Kind !== 'INPUT_OBJECT') continue;
      path.push(field);
      const cycleIndex = indexByType.get(fieldType.Name);
      if (cycleIndex !== undefined) {
        const cycle = path.slice(cycleIndex);
        fail(
          cycle[0]?.Position,
          `Cannot reference Input Object ${goQuote(fieldType.Name)} within itself through a series of non-null fields: ${goQuote(cycle.map((f) => f.Name).join('.'))}.`,
        );
      }
      detect(fieldType);
      path.pop();
    }
    work.leave();
    indexByType.delete(def.Name);
  };
  for (const name of [...schema.types.keys()].sort()) {
    const def = schema.types.get(name)!;
    if (def.Kind === 'INPUT_OBJECT') detect(def);
  }
}

/** Go's strconv.Quote for names (ASCII letters, digits, underscores: plain double quotes). */
function goQuote(s: string): string {
  return JSON.stringify(s);
}

function validateDirectiveDefinition(schema: Schema, def: GDirectiveDefinition, work: Work): void {
  validateName(def.Position, def.Name);
  const dup = duplicateArgument(def.Arguments, work);
  if (dup) fail(dup.Position, `Argument @${def.Name}(${dup.Name}:) can only be defined once.`);
  validateDirectives(schema, def.Directives, 'DIRECTIVE_DEFINITION', def, true, work);
  validateArguments(schema, def.Arguments, def, work);
}

function validateDefinition(schema: Schema, def: GDefinition, work: Work): void {
  for (const field of list(def.Fields)) {
    work.step(1);
    validateName(field.Position, field.Name);
    validateTypeReference(schema, field.Type);
    validateInputFieldNames(field.DefaultValue, work);
    const dup = duplicateArgument(field.Arguments, work);
    if (dup) fail(dup.Position, `Argument ${def.Name}.${field.Name}(${dup.Name}:) can only be defined once.`);
    validateArguments(schema, field.Arguments, null, work);
    const location = def.Kind === 'INPUT_OBJECT' ? 'INPUT_FIELD_DEFINITION' : 'FIELD_DEFINITION';
    validateDirectives(schema, field.Directives, location, null, true, work);
  }
  for (const t of list(def.Types)) {
    work.step(1);
    const member = schema.types.get(t);
    if (!member) fail(def.Position, `Undefined type ${goQuote(t)}.`);
    if (member.Kind !== 'OBJECT') fail(def.Position, `${def.Kind} type ${goQuote(t)} must be OBJECT.`);
  }
  const interfaces = list(def.Interfaces);
  interfaces.forEach((intf, i) => {
    work.step(1);
    if (contains(interfaces.slice(0, i), intf, work))
      fail(def.Position, `Type ${def.Name} can only implement ${intf} once.`);
    validateImplements(schema, def, intf, work);
  });
  const empty = (what: string): never =>
    fail(def.Position, `${def.Kind} ${def.Name}: must define one or more ${what}.`);
  switch (def.Kind) {
    case 'OBJECT':
    case 'INTERFACE':
      if (list(def.Fields).length === 0) empty('fields');
      for (const field of list(def.Fields)) {
        const type = schema.types.get(typeName(field.Type));
        if (type && !['SCALAR', 'OBJECT', 'INTERFACE', 'UNION', 'ENUM'].includes(type.Kind))
          fail(field.Position, `${def.Kind} ${def.Name}: field must be one of SCALAR, OBJECT, INTERFACE, UNION, ENUM.`);
      }
      break;
    case 'ENUM':
      if (list(def.EnumValues).length === 0) empty('unique enum values');
      for (const value of list(def.EnumValues)) {
        work.step(1);
        validateName(value.Position, value.Name);
        if (value.Name === 'true' || value.Name === 'false' || value.Name === 'null')
          fail(value.Position, `${def.Kind} ${def.Name}: non-enum value ${value.Name}.`);
        validateDirectives(schema, value.Directives, 'ENUM_VALUE', null, true, work);
      }
      break;
    case 'INPUT_OBJECT':
      if (list(def.Fields).length === 0) empty('input fields');
      for (const field of list(def.Fields)) {
        const type = schema.types.get(typeName(field.Type));
        if (type && !['SCALAR', 'ENUM', 'INPUT_OBJECT'].includes(type.Kind))
          fail(field.Position, `${type.Kind} ${field.Name}: field must be one of SCALAR, ENUM, INPUT_OBJECT.`);
      }
      break;
    case 'UNION':
      if (list(def.Types).length === 0) empty('member types');
      break;
  }
  firstDuplicate(list(def.Fields), work, (f) =>
    fail(f.Position, `Field ${def.Name}.${f.Name} can only be defined once.`),
  );
  firstDuplicate(list(def.EnumValues), work, (v) =>
    fail(v.Position, `Enum value ${def.Name}.${v.Name} can only be defined once.`),
  );
  const types = list(def.Types);
  const positions = list(def.TypePositions);
  firstDuplicate(
    types.map((t, j) => ({ Name: t, j })),
    work,
    ({ Name, j }) => {
      const position = positions.length === types.length && positions[j] ? positions[j] : def.Position;
      fail(position, `Union type ${def.Name} can only include type ${Name} once.`);
    },
  );
  if (!def.BuiltIn) validateName(def.Position, def.Name);
  validateDirectives(schema, def.Directives, def.Kind, null, false, work);
}

/** The first item (in order) whose name an earlier item already has: gqlparser's pairwise scan, in linear time. */
function firstDuplicate<T extends { Name: string }>(xs: T[], work: Work, onDuplicate: (x: T) => void): void {
  // gqlparser scans pairs (i, j > i) and stops at the first i with a later twin, reporting that twin.
  const firstIndex = new Map<string, number>();
  let best: { i: number; item: T } | undefined;
  xs.forEach((x, j) => {
    work.step(1);
    const i = firstIndex.get(x.Name);
    if (i === undefined) firstIndex.set(x.Name, j);
    else if (!best || i < best.i) best = { i, item: x };
  });
  if (best) onDuplicate(best.item);
}

function validateTypeReference(schema: Schema, type: GType): void {
  if (!schema.types.has(typeName(type))) fail(type.Position, `Undefined type ${typeName(type)}.`);
}

function duplicateArgument(args: GArgumentDefinition[] | null, work: Work): GArgumentDefinition | undefined {
  let found: GArgumentDefinition | undefined;
  firstDuplicate(list(args), work, (a) => (found = a));
  return found;
}

function validateArguments(
  schema: Schema,
  args: GArgumentDefinition[] | null,
  current: GDirectiveDefinition | null,
  work: Work,
): void {
  for (const arg of list(args)) {
    work.step(1);
    validateName(arg.Position, arg.Name);
    validateTypeReference(schema, arg.Type);
    validateInputFieldNames(arg.DefaultValue, work);
    const def = schema.types.get(typeName(arg.Type))!;
    if (!isInputType(def))
      fail(
        arg.Position,
        `cannot use ${typeString(arg.Type)} as argument ${arg.Name} because ${def.Kind} is not a valid input type`,
      );
    validateDirectives(schema, arg.Directives, 'ARGUMENT_DEFINITION', current, true, work);
  }
}

function validateDirectives(
  schema: Schema,
  directives: GDirective[] | null,
  location: string,
  current: GDirectiveDefinition | null,
  singleLocation: boolean,
  work: Work,
): void {
  const seen = new Set<string>();
  for (const dir of list(directives)) {
    work.step(1);
    validateName(dir.Position, dir.Name);
    if (current && dir.Name === current.Name) fail(dir.Position, `Directive ${current.Name} cannot refer to itself.`);
    const def = schema.directives.get(dir.Name);
    if (!def) fail(dir.Position, `Undefined directive ${dir.Name}.`);
    if (singleLocation) {
      if (seen.has(dir.Name) && !def.IsRepeatable)
        fail(dir.Position, `The directive ${dir.Name} can only be used once at this location.`);
      seen.add(dir.Name);
    }
    if (!contains(def.Locations, location, work))
      fail(dir.Position, `Directive ${dir.Name} is not applicable on ${location}.`);
    const args = list(dir.Arguments);
    const argNames = new Set<string>();
    for (const arg of args) {
      work.step(1);
      if (!forName(def.Arguments, arg.Name, work))
        fail(arg.Position, `Undefined argument ${arg.Name} for directive ${dir.Name}.`);
      if (argNames.has(arg.Name)) fail(arg.Position, `There can be only one argument named ${arg.Name}.`);
      argNames.add(arg.Name);
    }
    for (const schemaArg of list(def.Arguments)) {
      work.step(1);
      if (schemaArg.Type.NonNull && !schemaArg.DefaultValue) {
        const arg = forName(args, schemaArg.Name, work);
        if (!arg || arg.Value.Kind === VALUE_NULL)
          fail(dir.Position, `Argument ${schemaArg.Name} for directive ${dir.Name} cannot be null.`);
      }
    }
    for (const arg of args) validateInputFieldNames(arg.Value, work);
  }
}

const VALUE_NULL = 6;
const VALUE_OBJECT = 9;

function validateInputFieldNames(value: GValue | null, work: Work): void {
  if (!value) return;
  work.enter();
  const children = list(value.Children);
  const seen = value.Kind === VALUE_OBJECT && children.length > 1 ? new Set<string>() : undefined;
  for (const child of children) {
    work.step(1);
    if (seen) {
      if (seen.has(child.Name)) fail(child.Position, `There can be only one input field named "${child.Name}".`);
      seen.add(child.Name);
    }
    validateInputFieldNames(child.Value, work);
  }
  work.leave();
}

function validateImplements(schema: Schema, def: GDefinition, intfName: string, work: Work): void {
  const intf = schema.types.get(intfName);
  if (!intf) fail(def.Position, `Undefined type ${goQuote(intfName)}.`);
  if (intf.Kind !== 'INTERFACE') fail(def.Position, `${goQuote(intfName)} is a non interface type ${intf.Kind}.`);
  if (intf.Name === def.Name)
    fail(def.Position, `Type ${def.Name} cannot implement itself because it would create a circular reference.`);
  for (const required of list(intf.Fields)) {
    work.step(1);
    const found = forName(def.Fields, required.Name, work);
    if (!found)
      fail(def.Position, `For ${def.Name} to implement ${intf.Name} it must have a field called ${required.Name}.`);
    if (!isCovariant(schema, required.Type, found.Type, work))
      fail(
        found.Position,
        `For ${def.Name} to implement ${intf.Name} the field ${required.Name} must have type ${typeString(required.Type)}.`,
      );
    for (const requiredArg of list(required.Arguments)) {
      work.step(1);
      const foundArg = forName(found.Arguments, requiredArg.Name, work);
      if (!foundArg)
        fail(
          found.Position,
          `For ${def.Name} to implement ${intf.Name} the field ${required.Name} must have the same arguments but it is missing ${requiredArg.Name}.`,
        );
      if (!isCompatible(requiredArg.Type, foundArg.Type))
        fail(
          foundArg.Position,
          `For ${def.Name} to implement ${intf.Name} the field ${required.Name} must have the same arguments but ${requiredArg.Name} has the wrong type.`,
        );
    }
    for (const foundArg of list(found.Arguments)) {
      work.step(1);
      if (!forName(required.Arguments, foundArg.Name, work) && foundArg.Type.NonNull && !foundArg.DefaultValue)
        fail(
          foundArg.Position,
          `For ${def.Name} to implement ${intf.Name} any additional arguments on ${found.Name} must be optional or have a default value but ${foundArg.Name} is required.`,
        );
    }
  }
  for (const transitive of list(intf.Interfaces)) {
    work.step(1);
    if (contains(def.Interfaces, transitive, work)) continue;
    if (transitive === def.Name)
      fail(def.Position, `Type ${def.Name} cannot implement ${intfName} because it would create a circular reference.`);
    fail(def.Position, `Type ${def.Name} must implement ${transitive} because it is implemented by ${intfName}.`);
  }
}

function isCovariant(schema: Schema, required: GType, actual: GType | null, work: Work): boolean {
  if (!actual) return false;
  if (required.NonNull && !actual.NonNull) return false;
  if (required.NamedType !== '') {
    if (required.NamedType === actual.NamedType) return true;
    const possible = schema.possibleTypes.get(required.NamedType) ?? [];
    work.step(possible.length);
    return possible.some((t) => t?.Name === actual.NamedType);
  }
  if (required.Elem && !actual.Elem) return false;
  if (!required.Elem) return false;
  work.step(1);
  return isCovariant(schema, required.Elem, actual.Elem, work);
}

function validateName(position: Position | undefined, name: string): void {
  if (name.startsWith('__'))
    fail(position, `Name "${name}" must not begin with "__", which is reserved by GraphQL introspection.`);
}
