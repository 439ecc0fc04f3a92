// gqlparser's query validation (ValidateWithRules with its default rule set): one walk over the query
// document that annotates each node with its schema definition, the 27 rules listening to the walk's
// events in rule-name order, and their error texts (decision 119). Behaviour and texts follow gqlparser
// v2.5.64 (read, not copied); the document is the JSON-shaped AST of graphql-parser.ts.
import type { Position } from './graphql-parser';
import {
  GqlError,
  contains,
  forName,
  namesOf,
  isCompatible,
  isCompositeType,
  isInputType,
  isLeafType,
  list,
  typeName,
  typeString,
  type GArgument,
  type GArgumentDefinition,
  type GDefinition,
  type GDirective,
  type GFieldDefinition,
  type GType,
  type GValue,
  type GVariableDefinition,
  type Schema,
  type Work,
} from './graphql-schema';

export interface GField {
  Alias: string;
  Name: string;
  Arguments: GArgument[] | null;
  Directives: GDirective[] | null;
  SelectionSet: GSelection[] | null;
  Position?: Position;
  Definition?: GFieldDefinition | null;
  ObjectDefinition?: GDefinition | null;
}
export interface GFragmentSpread {
  Name: string;
  Directives: GDirective[] | null;
  Position?: Position;
  Definition?: GFragment | null;
  ObjectDefinition?: GDefinition | null;
}
export interface GInlineFragment {
  TypeCondition: string;
  Directives: GDirective[] | null;
  SelectionSet: GSelection[] | null;
  Position?: Position;
  ObjectDefinition?: GDefinition | null;
}
export type GSelection = GField | GFragmentSpread | GInlineFragment;
export interface GFragment {
  Name: string;
  VariableDefinition: GVariableDefinition[] | null;
  TypeCondition: string;
  Directives: GDirective[] | null;
  SelectionSet: GSelection[] | null;
  Position?: Position;
  Definition?: GDefinition | null;
}
export interface GOperation {
  Operation: string;
  Name: string;
  VariableDefinitions: GVariableDefinition[] | null;
  Directives: GDirective[] | null;
  SelectionSet: GSelection[] | null;
  Position?: Position;
}
export interface GQueryDocument {
  Operations: GOperation[] | null;
  Fragments: GFragment[] | null;
}

const isField = (s: GSelection): s is GField => 'Alias' in s;
const isInline = (s: GSelection): s is GInlineFragment => !isField(s) && 'TypeCondition' in s;
const isSpread = (s: GSelection): s is GFragmentSpread => !isField(s) && !isInline(s);

const KIND = { Variable: 0, Int: 1, Float: 2, String: 3, Block: 4, Boolean: 5, Null: 6, Enum: 7, List: 8, Object: 9 };

// ---- the walk (gqlparser's core.Walk) ----

interface Events {
  operation: ((w: Walker, op: GOperation) => void)[];
  field: ((w: Walker, f: GField) => void)[];
  fragment: ((w: Walker, f: GFragment) => void)[];
  inlineFragment: ((w: Walker, f: GInlineFragment) => void)[];
  fragmentSpread: ((w: Walker, f: GFragmentSpread) => void)[];
  directive: ((w: Walker, d: GDirective) => void)[];
  directiveList: ((w: Walker, ds: GDirective[]) => void)[];
  value: ((w: Walker, v: GValue) => void)[];
  variable: ((w: Walker, v: GVariableDefinition) => void)[];
}

type AddError = (message: string, position?: Position) => void;

class Walker {
  currentOperation: GOperation | null = null;
  private validatedSpreads = new Set<string>();
  private readonly fragments = new Map<string, GFragment>();

  constructor(
    readonly schema: Schema,
    readonly document: GQueryDocument,
    private readonly events: Events,
    readonly work: Work,
  ) {}

  type(name: string): GDefinition | null {
    return this.schema.types.get(name) ?? null;
  }

  walk(): void {
    for (const f of list(this.document.Fragments)) if (!this.fragments.has(f.Name)) this.fragments.set(f.Name, f);
    for (const op of list(this.document.Operations)) {
      this.validatedSpreads = new Set();
      this.walkOperation(op);
    }
    for (const f of list(this.document.Fragments)) {
      this.validatedSpreads = new Set();
      this.walkFragment(f);
    }
  }

  private walkOperation(op: GOperation): void {
    this.currentOperation = op;
    for (const v of list(op.VariableDefinitions)) {
      this.work.step(1);
      v.Definition = this.type(typeName(v.Type));
      for (const f of this.events.variable) f(this, v);
      if (v.DefaultValue) {
        v.DefaultValue.ExpectedType = v.Type;
        v.DefaultValue.Definition = this.type(typeName(v.Type));
      }
    }
    const [root, location] =
      op.Operation === 'mutation'
        ? [this.schema.mutation, 'MUTATION']
        : op.Operation === 'subscription'
          ? [this.schema.subscription, 'SUBSCRIPTION']
          : [this.schema.query, 'QUERY'];
    for (const v of list(op.VariableDefinitions)) {
      if (v.DefaultValue) this.walkValue(v.DefaultValue);
      this.walkDirectives(v.Directives, 'VARIABLE_DEFINITION');
    }
    this.walkDirectives(op.Directives, location);
    this.walkSelectionSet(root, op.SelectionSet);
    for (const f of this.events.operation) f(this, op);
    this.currentOperation = null;
  }

  private walkFragment(fragment: GFragment): void {
    const def = this.type(fragment.TypeCondition);
    fragment.Definition = def;
    this.walkDirectives(fragment.Directives, 'FRAGMENT_DEFINITION');
    this.walkSelectionSet(def, fragment.SelectionSet);
    for (const f of this.events.fragment) f(this, fragment);
  }

  private walkDirectives(directives: GDirective[] | null, location: string): void {
    for (const dir of list(directives)) {
      this.work.step(1);
      const def = this.schema.directives.get(dir.Name) ?? null;
      dir.Definition = def;
      dir.Location = location;
      for (const arg of list(dir.Arguments))
        this.walkArgument(def ? (forName(def.Arguments, arg.Name, this.work) ?? null) : null, arg);
      for (const f of this.events.directive) f(this, dir);
    }
    for (const f of this.events.directiveList) f(this, list(directives));
  }

  private walkValue(value: GValue): void {
    this.work.step(1);
    this.work.enter();
    if (value.Kind === KIND.Variable && this.currentOperation) {
      value.VariableDefinition = findVariable(this.currentOperation.VariableDefinitions, value.Raw, this.work);
      if (value.VariableDefinition) value.VariableDefinition.Used = true;
    }
    if (value.Kind === KIND.Object)
      for (const child of list(value.Children)) {
        if (!child.Value) continue;
        if (value.Definition) {
          const fieldDef = forName(value.Definition.Fields, child.Name, this.work);
          if (fieldDef) {
            child.Value.ExpectedType = fieldDef.Type;
            child.Value.ExpectedTypeHasDefault = !!fieldDef.DefaultValue && fieldDef.DefaultValue.Kind !== KIND.Null;
            child.Value.Definition = this.type(typeName(fieldDef.Type));
          }
        }
        this.walkValue(child.Value);
      }
    if (value.Kind === KIND.List)
      for (const child of list(value.Children)) {
        if (!child.Value) continue;
        if (value.ExpectedType?.Elem) {
          child.Value.ExpectedType = value.ExpectedType.Elem;
          child.Value.Definition = value.Definition ?? null;
        }
        this.walkValue(child.Value);
      }
    for (const f of this.events.value) f(this, value);
    this.work.leave();
  }

  private walkArgument(argDef: GArgumentDefinition | null, arg: GArgument): void {
    if (!arg.Value) return;
    if (argDef) {
      arg.Value.ExpectedType = argDef.Type;
      arg.Value.ExpectedTypeHasDefault = !!argDef.DefaultValue && argDef.DefaultValue.Kind !== KIND.Null;
      arg.Value.Definition = this.type(typeName(argDef.Type));
    }
    this.walkValue(arg.Value);
  }

  private walkSelectionSet(parent: GDefinition | null, set: GSelection[] | null): void {
    for (const child of list(set)) this.walkSelection(parent, child);
  }

  private walkSelection(parent: GDefinition | null, it: GSelection): void {
    this.work.step(1);
    this.work.enter();
    if (isField(it)) {
      let def: GFieldDefinition | null = null;
      if (it.Name === '__typename')
        def = {
          Name: '__typename',
          Arguments: null,
          DefaultValue: null,
          Type: { NamedType: 'String', Elem: null, NonNull: false },
          Directives: null,
        };
      else if (parent) def = forName(parent.Fields, it.Name, this.work) ?? null;
      it.Definition = def;
      it.ObjectDefinition = parent;
      const next = def ? this.type(typeName(def.Type)) : null;
      for (const arg of list(it.Arguments))
        this.walkArgument(def ? (forName(def.Arguments, arg.Name, this.work) ?? null) : null, arg);
      this.walkDirectives(it.Directives, 'FIELD');
      this.walkSelectionSet(next, it.SelectionSet);
      for (const f of this.events.field) f(this, it);
    } else if (isInline(it)) {
      it.ObjectDefinition = parent;
      const next = it.TypeCondition !== '' ? this.type(it.TypeCondition) : parent;
      this.walkDirectives(it.Directives, 'INLINE_FRAGMENT');
      this.walkSelectionSet(next, it.SelectionSet);
      for (const f of this.events.inlineFragment) f(this, it);
    } else {
      const def = this.fragments.get(it.Name) ?? null;
      it.Definition = def;
      it.ObjectDefinition = parent;
      const next = def ? this.type(def.TypeCondition) : null;
      this.walkDirectives(it.Directives, 'FRAGMENT_SPREAD');
      if (def && !this.validatedSpreads.has(def.Name)) {
        this.validatedSpreads.add(def.Name);
        this.walkDirectives(def.Directives, 'FRAGMENT_DEFINITION');
        this.walkSelectionSet(next, def.SelectionSet);
      }
      for (const f of this.events.fragmentSpread) f(this, it);
    }
    this.work.leave();
  }
}

function findVariable(defs: GVariableDefinition[] | null, name: string, work: Work): GVariableDefinition | null {
  const i = list(defs).findIndex((v) => v.Variable === name);
  work.step(i < 0 ? list(defs).length : i + 1);
  return i < 0 ? null : (list(defs)[i] as GVariableDefinition);
}

// ---- message helpers (gqlparser's core) ----

function orList(items: string[]): string {
  const xs = items.slice(0, 5);
  if (xs.length === 2) return `${xs[0]} or ${xs[1]}`;
  return xs.map((x, i) => (i === 0 ? x : i === xs.length - 1 ? `, or ${x}` : `, ${x}`)).join('');
}

const quotedOrList = (items: string[]): string => orList(items.map((x) => `"${x}"`));

function levenshtein(a: string, b: string, work: Work): number {
  const x = [...a];
  const y = [...b];
  work.step(1 + Math.ceil((x.length * y.length) / 32));
  let row = Array.from({ length: y.length + 1 }, (_, i) => i);
  for (let i = 1; i <= x.length; i++) {
    const next = [i];
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      next[j] = Math.min((row[j] as number) + 1, (next[j - 1] as number) + 1, (row[j - 1] as number) + cost);
    }
    row = next;
  }
  return row[y.length] as number;
}

/** Go's len(): UTF-8 bytes. */
const byteLength = (s: string): number => Buffer.byteLength(s, 'utf8');

function suggestionList(input: string, options: string[], work: Work): string[] {
  const threshold = Math.max(Math.floor(byteLength(input) * 0.4) + 1, 1);
  const scored: { option: string; distance: number }[] = [];
  for (const option of options) {
    let distance: number;
    if (option === input) distance = 0;
    else if (option.toLowerCase() === input.toLowerCase()) distance = 1;
    else distance = levenshtein(input.toLowerCase(), option.toLowerCase(), work);
    if (distance <= threshold) scored.push({ option, distance });
  }
  return scored.sort((p, q) => p.distance - q.distance).map((s) => s.option);
}

function suggestQuoted(prefix: string, typed: string, options: string[], work: Work): string {
  const suggested = suggestionList(typed, options, work);
  return suggested.length > 0 ? ` ${prefix} ${quotedOrList(suggested)}?` : '';
}

function suggestUnquoted(prefix: string, typed: string, options: string[], work: Work): string {
  const suggested = suggestionList(typed, options, work);
  return suggested.length > 0 ? ` ${prefix} ${orList(suggested)}?` : '';
}

/** gqlparser's quoting of string values in messages. */
function quoteString(s: string): string {
  let out = '"';
  for (const c of s) {
    const code = c.codePointAt(0) as number;
    if (c === '"') out += '\\"';
    else if (c === '\\') out += '\\\\';
    else if (c === '\b') out += '\\b';
    else if (c === '\f') out += '\\f';
    else if (c === '\n') out += '\\n';
    else if (c === '\r') out += '\\r';
    else if (c === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f || (code >= 0x80 && code <= 0x9f))
      out += `\\u00${code.toString(16).toUpperCase().padStart(2, '0')}`;
    else out += c;
  }
  return `${out}"`;
}

/** ast.Value.String(). */
function valueString(v: GValue | null | undefined): string {
  if (!v) return '<nil>';
  switch (v.Kind) {
    case KIND.Variable:
      return `$${v.Raw}`;
    case KIND.String:
    case KIND.Block:
      return quoteString(v.Raw);
    case KIND.List:
      return `[${list(v.Children)
        .map((c) => valueString(c.Value))
        .join(',')}]`;
    case KIND.Object:
      return `{${list(v.Children)
        .map((c) => `${c.Name}:${valueString(c.Value)}`)
        .join(',')}}`;
    default:
      return v.Raw;
  }
}

/** Go's strconv.ParseInt(s, 10, bits): 'ok', 'syntax' or 'range'. */
function parseGoInt(s: string, bits: 32 | 64): 'ok' | 'syntax' | 'range' {
  if (!/^[+-]?[0-9]+$/.test(s)) return 'syntax';
  const n = BigInt(s);
  const limit = 1n << BigInt(bits - 1);
  return n < -limit || n >= limit ? 'range' : 'ok';
}

/** Whether Go's strconv.ParseFloat(s, 64) fails (bad syntax, or beyond float64's range). */
function goFloatFails(s: string): boolean {
  const t = s.replace(/_/g, '');
  if (/^[+-]?(inf|infinity|nan)$/i.test(t)) return false;
  if (!/^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$/.test(t)) return true;
  return !Number.isFinite(Number(t));
}

/** Whether ast.Value.Value(nil) fails: an Int beyond int64 or an unparsable Float anywhere inside. */
function valueFails(v: GValue | null | undefined, work: Work): boolean {
  if (!v) return false;
  work.step(1);
  switch (v.Kind) {
    case KIND.Variable:
      return v.VariableDefinition?.DefaultValue ? valueFails(v.VariableDefinition.DefaultValue, work) : false;
    case KIND.Int:
      return parseGoInt(v.Raw, 64) !== 'ok';
    case KIND.Float:
      return goFloatFails(v.Raw);
    case KIND.Boolean:
      return !['1', 't', 'T', 'TRUE', 'true', 'True', '0', 'f', 'F', 'FALSE', 'false', 'False'].includes(v.Raw);
    case KIND.List:
      return list(v.Children).some((c) => valueFails(c.Value, work));
    case KIND.Object:
      return list(v.Children).some((c) => {
        const unset =
          c.Value?.Kind === KIND.Variable && (!c.Value.VariableDefinition || !c.Value.VariableDefinition.DefaultValue);
        return !unset && valueFails(c.Value, work);
      });
    default:
      return false;
  }
}

// ---- the rules, each registering on the walk's events ----

type Rule = (events: Events, addError: AddError) => void;

const RULES: Record<string, Rule> = {
  FieldsOnCorrectType(events, addError) {
    events.field.push((w, field) => {
      const parent = field.ObjectDefinition;
      if (!parent || field.Definition) return;
      let message = `Cannot query field "${field.Name}" on type "${parent.Name}".`;
      const types = suggestedTypeNames(w, parent, field.Name);
      if (types) message += ` Did you mean to use an inline fragment on ${quotedOrList(types)}?`;
      else if (parent.Kind === 'OBJECT' || parent.Kind === 'INTERFACE') {
        const names = suggestionList(field.Name, namesOf(parent.Fields, w.work), w.work);
        if (names.length > 0) message += ` Did you mean ${quotedOrList(names)}?`;
      }
      addError(message, field.Position);
    });
  },

  FragmentsOnCompositeTypes(events, addError) {
    events.inlineFragment.push((w, inline) => {
      const type = w.type(inline.TypeCondition);
      if (!type || isCompositeType(type)) return;
      addError(`Fragment cannot condition on non composite type "${inline.TypeCondition}".`, inline.Position);
    });
    events.fragment.push((_w, fragment) => {
      if (!fragment.Definition || fragment.TypeCondition === '' || isCompositeType(fragment.Definition)) return;
      addError(
        `Fragment "${fragment.Name}" cannot condition on non composite type "${fragment.TypeCondition}".`,
        fragment.Position,
      );
    });
  },

  KnownArgumentNames(events, addError) {
    events.field.push((w, field) => {
      if (!field.Definition || !field.ObjectDefinition) return;
      for (const arg of list(field.Arguments)) {
        w.work.step(1);
        if (forName(field.Definition.Arguments, arg.Name, w.work)) continue;
        const names = namesOf(field.Definition.Arguments, w.work);
        addError(
          `Unknown argument "${arg.Name}" on field "${field.ObjectDefinition.Name}.${field.Name}".` +
            suggestQuoted('Did you mean', arg.Name, names, w.work),
          field.Position,
        );
      }
    });
    events.directive.push((w, dir) => {
      if (!dir.Definition) return;
      for (const arg of list(dir.Arguments)) {
        w.work.step(1);
        if (forName(dir.Definition.Arguments, arg.Name, w.work)) continue;
        const names = namesOf(dir.Definition.Arguments, w.work);
        addError(
          `Unknown argument "${arg.Name}" on directive "@${dir.Name}".` +
            suggestQuoted('Did you mean', arg.Name, names, w.work),
          dir.Position,
        );
      }
    });
  },

  KnownDirectives(events, addError) {
    const seen = new Set<string>();
    events.directive.push((w, dir) => {
      if (!dir.Definition) {
        addError(`Unknown directive "@${dir.Name}".`, dir.Position);
        return;
      }
      if (contains(dir.Definition.Locations, dir.Location ?? '', w.work)) return;
      const key = JSON.stringify([dir.Name, dir.Position?.Line ?? 0, dir.Position?.Column ?? 0]);
      if (seen.has(key)) return;
      seen.add(key);
      addError(`Directive "@${dir.Name}" may not be used on ${dir.Location ?? ''}.`, dir.Position);
    });
  },

  KnownFragmentNames(events, addError) {
    events.fragmentSpread.push((_w, spread) => {
      if (!spread.Definition) addError(`Unknown fragment "${spread.Name}".`, spread.Position);
    });
  },

  KnownRootType(events, addError) {
    events.operation.push((w, op) => {
      const root =
        op.Operation === 'mutation'
          ? w.schema.mutation
          : op.Operation === 'subscription'
            ? w.schema.subscription
            : w.schema.query;
      if (!root) addError(`Schema does not support operation type "${op.Operation}"`, op.Position);
    });
  },

  KnownTypeNames(events, addError) {
    events.variable.push((w, v) => {
      const name = typeName(v.Type);
      if (!w.type(name)) addError(`Unknown type "${name}".`, v.Position);
    });
    events.inlineFragment.push((w, inline) => {
      if (inline.TypeCondition === '' || w.type(inline.TypeCondition)) return;
      addError(`Unknown type "${inline.TypeCondition}".`, inline.Position);
    });
    events.fragment.push((w, fragment) => {
      if (w.type(fragment.TypeCondition)) return;
      addError(
        `Unknown type "${fragment.TypeCondition}".` +
          suggestQuoted('Did you mean', fragment.TypeCondition, [...w.schema.types.keys()], w.work),
        fragment.Position,
      );
    });
  },

  LoneAnonymousOperation(events, addError) {
    events.operation.push((w, op) => {
      if (op.Name === '' && list(w.document.Operations).length > 1)
        addError('This anonymous operation must be the only defined operation.', op.Position);
    });
  },

  MaxIntrospectionDepth(events, addError) {
    const checker = new IntrospectionDepth();
    events.field.push((w, field) => {
      if (field.Name !== '__schema' && field.Name !== '__type') return;
      if (checker.field(field, 0, w.work)) addError('Maximum introspection depth exceeded', field.Position);
    });
  },

  NoFragmentCycles(events, addError) {
    const visited = new Set<string>();
    events.fragment.push((w, fragment) => {
      const path: GFragmentSpread[] = [];
      const indexByName = new Map<string, number>();
      const recurse = (f: GFragment): void => {
        if (visited.has(f.Name)) return;
        visited.add(f.Name);
        const spreads = fragmentSpreads(f.SelectionSet, w.work);
        if (spreads.length === 0) return;
        w.work.enter();
        indexByName.set(f.Name, path.length);
        for (const spread of spreads) {
          w.work.step(1);
          const cycleIndex = indexByName.get(spread.Name);
          path.push(spread);
          if (cycleIndex === undefined) {
            const next = forName(w.document.Fragments, spread.Name, w.work);
            if (next) recurse(next);
          } else {
            const names = path.slice(cycleIndex, path.length - 1).map((s) => `"${s.Name}"`);
            const via = names.length > 0 ? ` via ${names.join(', ')}` : '';
            addError(`Cannot spread fragment "${spread.Name}" within itself${via}.`, spread.Position);
          }
          path.pop();
        }
        indexByName.delete(f.Name);
        w.work.leave();
      };
      recurse(fragment);
    });
  },

  NoUndefinedVariables(events, addError) {
    events.value.push((w, value) => {
      const op = w.currentOperation;
      if (!op || value.Kind !== KIND.Variable || value.VariableDefinition) return;
      if (op.Name !== '')
        addError(`Variable "${valueString(value)}" is not defined by operation "${op.Name}".`, value.Position);
      else addError(`Variable "${valueString(value)}" is not defined.`, value.Position);
    });
  },

  NoUnusedFragments(events, addError) {
    let inFragmentDefinition = false;
    const used = new Set<string>();
    events.fragmentSpread.push((_w, spread) => {
      if (!inFragmentDefinition) used.add(spread.Name);
    });
    events.fragment.push((_w, fragment) => {
      inFragmentDefinition = true;
      if (!used.has(fragment.Name)) addError(`Fragment "${fragment.Name}" is never used.`, fragment.Position);
    });
  },

  NoUnusedVariables(events, addError) {
    events.operation.push((_w, op) => {
      for (const v of list(op.VariableDefinitions)) {
        if (v.Used) continue;
        if (op.Name !== '') addError(`Variable "$${v.Variable}" is never used in operation "${op.Name}".`, v.Position);
        else addError(`Variable "$${v.Variable}" is never used.`, v.Position);
      }
    });
  },

  OverlappingFieldsCanBeMerged(events, addError) {
    const overlap = new Overlap();
    const report = (w: Walker, set: GSelection[] | null): void => {
      overlap.walker = w;
      for (const conflict of overlap.conflictsWithin(set)) {
        addError(
          `Fields "${conflict.responseName}" conflict because ${conflictText(conflict)}. Use different aliases on the fields to fetch both if this was intentional.`,
          conflict.position,
        );
      }
    };
    events.operation.push((w, op) => report(w, op.SelectionSet));
    events.field.push((w, field) => {
      if (w.currentOperation) report(w, field.SelectionSet);
    });
    events.inlineFragment.push((w, inline) => report(w, inline.SelectionSet));
    events.fragment.push((w, fragment) => report(w, fragment.SelectionSet));
  },

  PossibleFragmentSpreads(events, addError) {
    const possible = (w: Walker, parent: GDefinition | null | undefined, name: string): boolean => {
      if (!parent) return true;
      let parents: (GDefinition | undefined)[];
      if (parent.Kind === 'OBJECT') parents = [parent];
      else if (parent.Kind === 'INTERFACE' || parent.Kind === 'UNION')
        parents = w.schema.possibleTypes.get(parent.Name) ?? [];
      else return true;
      const fragmentType = w.type(name);
      if (!fragmentType || !isCompositeType(fragmentType)) return true;
      w.work.step(parents.length);
      const names = new Set(parents.map((p) => p?.Name));
      for (const t of w.schema.possibleTypes.get(fragmentType.Name) ?? []) {
        w.work.step(1);
        if (t && names.has(t.Name)) return true;
      }
      return false;
    };
    events.inlineFragment.push((w, inline) => {
      if (possible(w, inline.ObjectDefinition, inline.TypeCondition)) return;
      addError(
        `Fragment cannot be spread here as objects of type "${inline.ObjectDefinition?.Name}" can never be of type "${inline.TypeCondition}".`,
        inline.Position,
      );
    });
    events.fragmentSpread.push((w, spread) => {
      if (!spread.Definition || possible(w, spread.ObjectDefinition, spread.Definition.TypeCondition)) return;
      addError(
        `Fragment "${spread.Name}" cannot be spread here as objects of type "${spread.ObjectDefinition?.Name}" can never be of type "${spread.Definition.TypeCondition}".`,
        spread.Position,
      );
    });
  },

  ProvidedRequiredArguments(events, addError) {
    events.field.push((w, field) => {
      if (!field.Definition) return;
      for (const argDef of list(field.Definition.Arguments)) {
        w.work.step(1);
        if (!argDef.Type.NonNull || argDef.DefaultValue) continue;
        if (forName(field.Arguments, argDef.Name, w.work)) continue;
        addError(
          `Field "${field.Name}" argument "${argDef.Name}" of type "${typeString(argDef.Type)}" is required, but it was not provided.`,
          field.Position,
        );
      }
    });
    events.directive.push((w, dir) => {
      if (!dir.Definition) return;
      for (const argDef of list(dir.Definition.Arguments)) {
        w.work.step(1);
        if (!argDef.Type.NonNull || argDef.DefaultValue) continue;
        if (forName(dir.Arguments, argDef.Name, w.work)) continue;
        addError(
          `Directive "@${dir.Definition.Name}" argument "${argDef.Name}" of type "${typeString(argDef.Type)}" is required, but it was not provided.`,
          dir.Position,
        );
      }
    });
  },

  ScalarLeafs(events, addError) {
    events.field.push((w, field) => {
      if (!field.Definition) return;
      const type = w.type(typeName(field.Definition.Type));
      if (!type) return;
      const selections = list(field.SelectionSet).length;
      if (isLeafType(type) && selections > 0)
        addError(
          `Field "${field.Name}" must not have a selection since type "${type.Name}" has no subfields.`,
          field.Position,
        );
      if (!isLeafType(type) && selections === 0)
        addError(
          `Field "${field.Name}" of type "${typeString(field.Definition.Type)}" must have a selection of subfields. Did you mean "${field.Name} { ... }"?`,
          field.Position,
        );
    });
  },

  SingleFieldSubscriptions(events, addError) {
    events.operation.push((w, op) => {
      if (!w.schema.subscription || op.Operation !== 'subscription') return;
      const fields = topFields(op.SelectionSet, w.work);
      const name = op.Name !== '' ? `Subscription ${JSON.stringify(op.Name)}` : 'Anonymous Subscription';
      if (fields.length > 1) addError(`${name} must select only one top level field.`, fields[1]?.Position);
      for (const f of fields)
        if (f.Name.startsWith('__')) addError(`${name} must not select an introspection top level field.`, f.Position);
    });
  },

  UniqueArgumentNames(events, addError) {
    const check = (args: GArgument[] | null, w: Walker): void => {
      const seen = new Map<string, number>();
      for (const arg of list(args)) {
        w.work.step(1);
        const n = seen.get(arg.Name) ?? 0;
        if (n === 1) addError(`There can be only one argument named "${arg.Name}".`, arg.Position);
        seen.set(arg.Name, n + 1);
      }
    };
    events.field.push((w, field) => check(field.Arguments, w));
    events.directive.push((w, dir) => check(dir.Arguments, w));
  },

  UniqueDirectivesPerLocation(events, addError) {
    events.directiveList.push((w, directives) => {
      const seen = new Set<string>();
      for (const dir of directives) {
        w.work.step(1);
        if ((!dir.Definition || !dir.Definition.IsRepeatable) && seen.has(dir.Name))
          addError(`The directive "@${dir.Name}" can only be used once at this location.`, dir.Position);
        seen.add(dir.Name);
      }
    });
  },

  UniqueFragmentNames(events, addError) {
    const seen = new Set<string>();
    events.fragment.push((_w, fragment) => {
      if (seen.has(fragment.Name))
        addError(`There can be only one fragment named "${fragment.Name}".`, fragment.Position);
      seen.add(fragment.Name);
    });
  },

  UniqueInputFieldNames(events, addError) {
    events.value.push((w, value) => {
      if (value.Kind !== KIND.Object) return;
      const seen = new Set<string>();
      for (const child of list(value.Children)) {
        w.work.step(1);
        if (seen.has(child.Name)) addError(`There can be only one input field named "${child.Name}".`, child.Position);
        seen.add(child.Name);
      }
    });
  },

  UniqueOperationNames(events, addError) {
    const seen = new Set<string>();
    events.operation.push((_w, op) => {
      if (seen.has(op.Name)) addError(`There can be only one operation named "${op.Name}".`, op.Position);
      seen.add(op.Name);
    });
  },

  UniqueVariableNames(events, addError) {
    events.operation.push((w, op) => {
      const seen = new Map<string, number>();
      for (const v of list(op.VariableDefinitions)) {
        w.work.step(1);
        const n = seen.get(v.Variable) ?? 0;
        if (n === 1) addError(`There can be only one variable named "$${v.Variable}".`, v.Position);
        seen.set(v.Variable, n + 1);
      }
    });
  },

  ValuesOfCorrectType(events, addError) {
    events.value.push((w, value) => valuesOfCorrectType(w, value, addError));
  },

  VariablesAreInputTypes(events, addError) {
    events.operation.push((_w, op) => {
      for (const v of list(op.VariableDefinitions)) {
        if (!v.Definition || isInputType(v.Definition)) continue;
        addError(`Variable "$${v.Variable}" cannot be non-input type "${typeString(v.Type)}".`, v.Position);
      }
    });
  },

  VariablesInAllowedPosition(events, addError) {
    events.value.push((w, value) => {
      if (value.Kind !== KIND.Variable || !value.ExpectedType || !value.VariableDefinition || !w.currentOperation)
        return;
      const expected: GType = { ...value.ExpectedType };
      const def = value.VariableDefinition;
      if (def.DefaultValue && def.DefaultValue.Kind !== KIND.Null && value.ExpectedType.NonNull)
        expected.NonNull = false;
      if (value.ExpectedTypeHasDefault) expected.NonNull = false;
      if (!isCompatible(def.Type, expected))
        addError(
          `Variable "${valueString(value)}" of type "${typeString(def.Type)}" used in position expecting type "${typeString(value.ExpectedType)}".`,
          value.Position,
        );
    });
    events.value.push((w, value) => {
      if (value.Kind !== KIND.Object || !value.Definition) return;
      if (!forName(value.Definition.Directives, 'oneOf', w.work)) return;
      for (const child of list(value.Children)) {
        w.work.step(1);
        const v = child.Value;
        if (!v || v.Kind !== KIND.Variable || !v.VariableDefinition) continue;
        if (!v.VariableDefinition.Type.NonNull)
          addError(
            `Variable "${valueString(v)}" is of type "${typeString(v.VariableDefinition.Type)}" but must be non-nullable to be used for OneOf Input Object "${value.Definition.Name}".`,
            v.VariableDefinition.Position ?? v.Position,
          );
      }
    });
  },
};

function suggestedTypeNames(w: Walker, parent: GDefinition, name: string): string[] | undefined {
  if (parent.Kind !== 'INTERFACE' && parent.Kind !== 'UNION') return undefined;
  const objects: string[] = [];
  const interfaces: string[] = [];
  const usage = new Map<string, number>();
  for (const possible of w.schema.possibleTypes.get(parent.Name) ?? []) {
    w.work.step(1);
    if (!possible || !forName(possible.Fields, name, w.work)) continue;
    objects.push(possible.Name);
    for (const intf of list(possible.Interfaces)) {
      const def = w.type(intf);
      if (def && forName(def.Fields, name, w.work)) {
        if (!usage.get(intf)) interfaces.push(intf);
        usage.set(intf, (usage.get(intf) ?? 0) + 1);
      }
    }
  }
  const all = [...interfaces, ...objects];
  if (all.length === 0) return undefined;
  return all.sort((a, b) => {
    const diff = (usage.get(b) ?? 0) - (usage.get(a) ?? 0);
    if (diff !== 0) return diff;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

function unexpectedTypeMessage(v: GValue): string {
  const expected = typeString(v.ExpectedType as GType);
  switch (expected) {
    case 'Int':
    case 'Int!':
      return parseGoInt(v.Raw, 32) === 'range'
        ? `Int cannot represent non 32-bit signed integer value: ${valueString(v)}`
        : `Int cannot represent non-integer value: ${valueString(v)}`;
    case 'String':
    case 'String!':
    case '[String]':
      return `String cannot represent a non string value: ${valueString(v)}`;
    case 'Boolean':
    case 'Boolean!':
      return `Boolean cannot represent a non boolean value: ${valueString(v)}`;
    case 'Float':
    case 'Float!':
      return `Float cannot represent non numeric value: ${valueString(v)}`;
    case 'ID':
    case 'ID!':
      return `ID cannot represent a non-string and non-integer value: ${valueString(v)}`;
    default:
      if (v.Definition?.Kind === 'ENUM')
        return `Enum "${expected}" cannot represent non-enum value: ${valueString(v)}.`;
      return `Expected value of type "${expected}", found ${valueString(v)}.`;
  }
}

function valuesOfCorrectType(w: Walker, value: GValue, addError: AddError): void {
  const def = value.Definition;
  const expected = value.ExpectedType;
  if (!def || !expected) return;
  if (value.Kind === KIND.Null && expected.NonNull)
    addError(`Expected value of type "${typeString(expected)}", found ${valueString(value)}.`, value.Position);
  const builtinScalar = ['Int', 'Float', 'String', 'Boolean', 'ID'].includes(def.Name);
  if (def.Kind === 'SCALAR' && !builtinScalar) return;
  const enums = (): string[] => (def.Kind === 'ENUM' ? namesOf(def.EnumValues, w.work) : []);
  const unexpected = (): void => addError(unexpectedTypeMessage(value), value.Position);
  if (valueFails(value, w.work)) unexpected();
  const oneOf = (...names: string[]): boolean => names.includes(def.Name);
  switch (value.Kind) {
    case KIND.Null:
    case KIND.Variable:
      return;
    case KIND.List:
      if (!expected.Elem) unexpected();
      return;
    case KIND.Int:
      if (!oneOf('Int', 'Float', 'ID')) unexpected();
      return;
    case KIND.Float:
      if (!oneOf('Float')) unexpected();
      return;
    case KIND.String:
    case KIND.Block:
      if (def.Kind === 'ENUM')
        addError(
          `Enum "${typeString(expected)}" cannot represent non-enum value: ${valueString(value)}.` +
            suggestQuoted('Did you mean the enum value', value.Raw, enums(), w.work),
          value.Position,
        );
      else if (!oneOf('String', 'ID')) unexpected();
      return;
    case KIND.Enum:
      if (def.Kind !== 'ENUM')
        addError(
          unexpectedTypeMessage(value) + suggestUnquoted('Did you mean the enum value', value.Raw, enums(), w.work),
          value.Position,
        );
      else if (!forName(def.EnumValues, value.Raw, w.work))
        addError(
          `Value "${valueString(value)}" does not exist in "${typeString(expected)}" enum.` +
            suggestQuoted('Did you mean the enum value', value.Raw, enums(), w.work),
          value.Position,
        );
      return;
    case KIND.Boolean:
      if (!oneOf('Boolean')) unexpected();
      return;
    case KIND.Object: {
      const children = list(value.Children);
      for (const field of list(def.Fields)) {
        w.work.step(1);
        if (field.Type.NonNull && !forName(children, field.Name, w.work) && !field.DefaultValue)
          addError(
            `Field "${def.Name}.${field.Name}" of required type "${typeString(field.Type)}" was not provided.`,
            value.Position,
          );
      }
      for (const dir of list(def.Directives)) {
        if (dir.Name !== 'oneOf') continue;
        if (children.length !== 1) {
          addError(`OneOf Input Object "${def.Name}" must specify exactly one key.`, value.Position);
          continue;
        }
        const only = children[0]?.Value;
        if (!only || only.Kind === KIND.Null)
          addError(`Field "${def.Name}.${list(def.Fields)[0]?.Name ?? ''}" must be non-null.`, only?.Position);
      }
      const names = (): string[] => namesOf(def.Fields, w.work);
      for (const child of children) {
        w.work.step(1);
        if (forName(def.Fields, child.Name, w.work)) continue;
        addError(
          `Field "${child.Name}" is not defined by type "${def.Name}".` +
            suggestQuoted('Did you mean', child.Name, names(), w.work),
          child.Position,
        );
      }
      return;
    }
  }
}

/** The fragment spreads anywhere inside a selection set, in gqlparser's (stack) order. */
function fragmentSpreads(set: GSelection[] | null, work: Work): GFragmentSpread[] {
  const spreads: GFragmentSpread[] = [];
  const stack: GSelection[][] = [list(set)];
  while (stack.length > 0) {
    const current = stack.pop() as GSelection[];
    for (const s of current) {
      work.step(1);
      if (isField(s)) stack.push(list(s.SelectionSet));
      else if (isInline(s)) stack.push(list(s.SelectionSet));
      else spreads.push(s);
    }
  }
  return spreads;
}

/** The distinct top-level fields of a subscription (through fragments), for SingleFieldSubscriptions. */
function topFields(set: GSelection[] | null, work: Work): GField[] {
  const fields: GField[] = [];
  const inFragment = new Set<string>();
  const walk = (selections: GSelection[] | null): void => {
    work.enter();
    try {
      for (const s of list(selections)) {
        work.step(1);
        if (isField(s)) fields.push(s);
        else if (isInline(s)) walk(s.SelectionSet);
        else {
          // As gqlparser does, an unknown fragment ends this selection set's walk.
          if (!s.Definition) return;
          if (!inFragment.has(s.Definition.Name)) {
            inFragment.add(s.Definition.Name);
            walk(s.Definition.SelectionSet);
          }
        }
      }
    } finally {
      work.leave();
    }
  };
  walk(set);
  const seen = new Set<string>();
  const unique: GField[] = [];
  for (const f of fields) {
    if (!seen.has(f.Name)) unique.push(f);
    seen.add(f.Name);
  }
  return unique;
}

/** MaxIntrospectionDepth: lists of lists of types nested three deep in an introspection query. */
class IntrospectionDepth {
  private readonly visiting = new Map<string, number>();
  private readonly memo = new Map<string, boolean>();

  field(field: GField, depth: number, work: Work): boolean {
    let d = depth;
    if (['fields', 'interfaces', 'possibleTypes', 'inputFields'].includes(field.Name)) {
      d++;
      if (d >= 3) return true;
    }
    return this.selectionSet(field.SelectionSet, d, work);
  }

  private selectionSet(set: GSelection[] | null, depth: number, work: Work): boolean {
    work.enter();
    try {
      for (const s of list(set)) {
        work.step(1);
        if (isField(s)) {
          if (this.field(s, depth, work)) return true;
        } else if (isSpread(s)) {
          if (this.spread(s, depth, work)) return true;
        } else if (this.selectionSet(s.SelectionSet, depth, work)) return true;
      }
      return false;
    } finally {
      work.leave();
    }
  }

  private spread(spread: GFragmentSpread, depth: number, work: Work): boolean {
    const entry = this.visiting.get(spread.Name);
    if (entry !== undefined) return depth > entry;
    const fragment = spread.Definition;
    if (!fragment) return false;
    const key = `${spread.Name}\u0000${depth}`;
    const known = this.memo.get(key);
    if (known !== undefined) return known;
    this.visiting.set(spread.Name, depth);
    const exceeded = this.selectionSet(fragment.SelectionSet, depth, work);
    this.visiting.delete(spread.Name);
    this.memo.set(key, exceeded);
    return exceeded;
  }
}

// ---- OverlappingFieldsCanBeMerged (graphql-js's algorithm as gqlparser ports it) ----

interface Conflict {
  responseName: string;
  message: string;
  sub: Conflict[];
  position?: Position;
}

function conflictText(c: Conflict): string {
  if (c.sub.length === 0) return c.message;
  return c.sub.map((s) => `subfields "${s.responseName}" conflict because ${conflictText(s)}`).join(' and ');
}

interface FieldsMap {
  order: string[];
  byName: Map<string, GField[]>;
}

const EMPTY_SET: GSelection[] = [];

class Overlap {
  walker!: Walker;
  /** Per fields map, the fragments compared with it (value: whether compared as mutually exclusive). */
  private readonly comparedFieldsAndFragments = new Map<FieldsMap, Map<string, boolean>>();
  private readonly comparedFragments = new Map<string, Map<string, boolean>>();
  private readonly cache = new Map<GSelection[], [FieldsMap, GFragmentSpread[]]>();

  private get work(): Work {
    return this.walker.work;
  }

  conflictsWithin(set: GSelection[] | null): Conflict[] {
    if (list(set).length === 0) return [];
    const [fields, spreads] = this.fieldsAndFragments(set);
    const conflicts: Conflict[] = [];
    this.collectWithin(conflicts, fields);
    spreads.forEach((a, i) => {
      this.collectFieldsAndFragment(conflicts, false, fields, a);
      for (const b of spreads.slice(i + 1)) this.collectFragments(conflicts, false, a, b);
    });
    return conflicts;
  }

  private static has(set: Map<unknown, boolean> | undefined, key: unknown, exclusive: boolean): boolean {
    if (!set || !set.has(key)) return false;
    return exclusive ? true : !set.get(key);
  }

  private collectFieldsAndFragment(
    conflicts: Conflict[],
    exclusive: boolean,
    fields: FieldsMap,
    spread: GFragmentSpread,
  ): void {
    this.work.step(1);
    let compared = this.comparedFieldsAndFragments.get(fields);
    if (Overlap.has(compared, spread.Name, exclusive)) return;
    if (!compared) this.comparedFieldsAndFragments.set(fields, (compared = new Map()));
    compared.set(spread.Name, exclusive);
    if (!spread.Definition) return;
    const [fieldsB, spreadsB] = this.fieldsAndFragments(spread.Definition.SelectionSet);
    if (fields === fieldsB) return;
    this.work.enter();
    this.collectBetween(conflicts, exclusive, fields, fieldsB);
    for (const s of spreadsB) this.collectFieldsAndFragment(conflicts, exclusive, fields, s);
    this.work.leave();
  }

  private collectFragments(
    conflicts: Conflict[],
    exclusive: boolean,
    first: GFragmentSpread,
    second: GFragmentSpread,
  ): void {
    const check = (a: GFragmentSpread, b: GFragmentSpread): void => {
      this.work.step(1);
      if (a.Name === b.Name) return;
      if (Overlap.has(this.comparedFragments.get(a.Name), b.Name, exclusive)) return;
      for (const [x, y] of [
        [a.Name, b.Name],
        [b.Name, a.Name],
      ] as const) {
        let m = this.comparedFragments.get(x);
        if (!m) this.comparedFragments.set(x, (m = new Map()));
        m.set(y, exclusive);
      }
      if (!a.Definition || !b.Definition) return;
      const [fieldsA, spreadsA] = this.fieldsAndFragments(a.Definition.SelectionSet);
      const [fieldsB, spreadsB] = this.fieldsAndFragments(b.Definition.SelectionSet);
      this.work.enter();
      this.collectBetween(conflicts, exclusive, fieldsA, fieldsB);
      for (const s of spreadsB) check(a, s);
      for (const s of spreadsA) check(s, b);
      this.work.leave();
    };
    check(first, second);
  }

  private betweenSubSelections(exclusive: boolean, setA: GSelection[] | null, setB: GSelection[] | null): Conflict[] {
    const conflicts: Conflict[] = [];
    const [fieldsA, spreadsA] = this.fieldsAndFragments(setA);
    const [fieldsB, spreadsB] = this.fieldsAndFragments(setB);
    this.collectBetween(conflicts, exclusive, fieldsA, fieldsB);
    for (const s of spreadsB) this.collectFieldsAndFragment(conflicts, exclusive, fieldsA, s);
    for (const s of spreadsA) this.collectFieldsAndFragment(conflicts, exclusive, fieldsB, s);
    for (const a of spreadsA) for (const b of spreadsB) this.collectFragments(conflicts, exclusive, a, b);
    return conflicts;
  }

  private collectWithin(conflicts: Conflict[], fields: FieldsMap): void {
    for (const name of fields.order) {
      const same = fields.byName.get(name) as GField[];
      for (let i = 0; i < same.length; i++)
        for (let j = i + 1; j < same.length; j++) {
          const conflict = this.findConflict(false, same[i] as GField, same[j] as GField);
          if (conflict) conflicts.push(conflict);
        }
    }
  }

  private collectBetween(conflicts: Conflict[], exclusive: boolean, a: FieldsMap, b: FieldsMap): void {
    for (const name of a.order) {
      const fieldsB = b.byName.get(name);
      if (!fieldsB) continue;
      for (const fa of a.byName.get(name) as GField[])
        for (const fb of fieldsB) {
          const conflict = this.findConflict(exclusive, fa, fb);
          if (conflict) conflicts.push(conflict);
        }
    }
  }

  private findConflict(parentExclusive: boolean, a: GField, b: GField): Conflict | undefined {
    this.work.step(1);
    if (!a.ObjectDefinition || !b.ObjectDefinition) return undefined;
    const exclusive =
      parentExclusive ||
      (a.ObjectDefinition.Name !== b.ObjectDefinition.Name &&
        a.ObjectDefinition.Kind === 'OBJECT' &&
        b.ObjectDefinition.Kind === 'OBJECT' &&
        !!a.Definition &&
        !!b.Definition);
    const responseName = a.Alias !== '' ? a.Alias : a.Name;
    const conflict = (message: string, sub: Conflict[] = []): Conflict => ({
      responseName,
      message,
      sub,
      position: b.Position,
    });
    if (!exclusive) {
      if (a.Name !== b.Name) return conflict(`"${a.Name}" and "${b.Name}" are different fields`);
      if (!sameArguments(list(a.Arguments), list(b.Arguments), this.work))
        return conflict('they have differing arguments');
    }
    if (a.Definition && b.Definition && this.typesConflict(a.Definition.Type, b.Definition.Type))
      return conflict(
        `they return conflicting types "${typeString(a.Definition.Type)}" and "${typeString(b.Definition.Type)}"`,
      );
    this.work.enter();
    const sub = this.betweenSubSelections(exclusive, a.SelectionSet, b.SelectionSet);
    this.work.leave();
    return sub.length > 0 ? conflict('', sub) : undefined;
  }

  private typesConflict(t1: GType, t2: GType): boolean {
    if (t1.NonNull !== t2.NonNull || !t1.Elem !== !t2.Elem) return true;
    if (t1.Elem && t2.Elem) return this.typesConflict(t1.Elem, t2.Elem);
    const d1 = this.walker.type(t1.NamedType);
    const d2 = this.walker.type(t2.NamedType);
    if ((d1 && isLeafType(d1)) || (d2 && isLeafType(d2))) return d1?.Name !== d2?.Name;
    return false;
  }

  private fieldsAndFragments(set: GSelection[] | null): [FieldsMap, GFragmentSpread[]] {
    const key = set && set.length > 0 ? set : EMPTY_SET;
    const cached = this.cache.get(key);
    if (cached) return cached;
    const fields: FieldsMap = { order: [], byName: new Map() };
    const spreads: GFragmentSpread[] = [];
    const walk = (selections: GSelection[]): void => {
      this.work.enter();
      for (const s of selections) {
        this.work.step(1);
        if (isField(s)) {
          const name = s.Alias !== '' ? s.Alias : s.Name;
          const existing = fields.byName.get(name);
          if (existing) existing.push(s);
          else {
            fields.order.push(name);
            fields.byName.set(name, [s]);
          }
        } else if (isInline(s)) walk(list(s.SelectionSet));
        else spreads.push(s);
      }
      this.work.leave();
    };
    walk(key);
    const result: [FieldsMap, GFragmentSpread[]] = [fields, spreads];
    this.cache.set(key, result);
    return result;
  }
}

function sameArguments(a: GArgument[], b: GArgument[], work: Work): boolean {
  if (a.length !== b.length) return false;
  return a.every((x) => {
    work.step(1);
    return b.some((y) => x.Name === y.Name && sameValue(x.Value, y.Value, work));
  });
}

function sameValue(a: GValue | null, b: GValue | null, work: Work): boolean {
  work.step(1);
  if (!a || !b) return a === b;
  if (a.Kind !== b.Kind || a.Raw !== b.Raw) return false;
  let ca = list(a.Children);
  let cb = list(b.Children);
  if (ca.length !== cb.length) return false;
  if (a.Kind === KIND.Object) {
    const byName = (x: { Name: string }, y: { Name: string }): number =>
      x.Name < y.Name ? -1 : x.Name > y.Name ? 1 : 0;
    ca = [...ca].sort(byName);
    cb = [...cb].sort(byName);
  }
  return ca.every((c, i) => c.Name === cb[i]?.Name && sameValue(c.Value, cb[i]?.Value ?? null, work));
}

/** Runs gqlparser's default rules over the document; returns every error in the order gqlparser reports. */
export function validateQuery(schema: Schema, document: GQueryDocument, work: Work): GqlError[] {
  const errors: GqlError[] = [];
  const events: Events = {
    operation: [],
    field: [],
    fragment: [],
    inlineFragment: [],
    fragmentSpread: [],
    directive: [],
    directiveList: [],
    value: [],
    variable: [],
  };
  for (const name of Object.keys(RULES).sort()) {
    const rule = RULES[name] as Rule;
    rule(events, (message, position) => {
      work.alloc(2 * message.length);
      errors.push(new GqlError(message, position ? { line: position.Line, column: position.Column } : undefined));
    });
  }
  new Walker(schema, document, events, work).walk();
  return errors;
}
