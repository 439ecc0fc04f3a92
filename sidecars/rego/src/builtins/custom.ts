// Custom builtins a caller registers for one policy, like OPA's rego.Function (name, declared types,
// implementation): the compiler knows their names and arity, the evaluator checks the declared types.
import { CompileError } from '../errors';
import { RegoObject, RegoSet, isNumber, plainNumbers, typeName, type Value } from '../value';
import { BUILTINS, BuiltinError, type BuiltinDef } from './registry';

/** A type in a custom builtin's declaration. */
export type RegoType = 'any' | 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object' | 'set';

/** A custom builtin: `name(args…)` returns `result`. */
export interface CustomBuiltin {
  /** Dotted name such as `trivy.lookup` or `is_allowed`. */
  name: string;
  /** Declared argument types, one per argument. */
  args: RegoType[];
  /** Declared result type (default 'any'). */
  result?: RegoType;
  /**
   * The implementation, called with Rego values (`valueToJSON` turns them into JSON). Returning
   * undefined makes the call undefined; throwing makes it undefined and records a builtin error
   * (returned as the error with `strictBuiltinErrors`).
   */
  fn: (args: Value[]) => Value | undefined;
}

const TYPES = new Set<RegoType>(['any', 'string', 'number', 'boolean', 'null', 'array', 'object', 'set']);
const NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

function hasType(v: Value, t: RegoType): boolean {
  switch (t) {
    case 'any':
      return true;
    case 'string':
      return typeof v === 'string';
    case 'number':
      return isNumber(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'null':
      return v === null;
    case 'array':
      return Array.isArray(v);
    case 'object':
      return v instanceof RegoObject;
    case 'set':
      return v instanceof RegoSet;
  }
}

/** Checks the declarations and wraps each implementation with the declared type checks. */
export function customBuiltinDefs(list: readonly CustomBuiltin[]): Map<string, BuiltinDef> {
  const out = new Map<string, BuiltinDef>();
  list.forEach((b, i) => {
    const where = `builtins[${i}]`;
    if (typeof b?.name !== 'string' || !NAME.test(b.name))
      throw new CompileError('rego_compile_error', `${where}.name must be a dotted identifier such as "my.func"`);
    if (BUILTINS.has(b.name) || out.has(b.name))
      throw new CompileError('rego_compile_error', `${where}.name: builtin ${b.name} is already defined`);
    if (!Array.isArray(b.args) || b.args.some((t) => !TYPES.has(t)))
      throw new CompileError('rego_compile_error', `${where}.args must be a list of ${[...TYPES].join(', ')}`);
    const result = b.result ?? 'any';
    if (!TYPES.has(result))
      throw new CompileError('rego_compile_error', `${where}.result must be one of ${[...TYPES].join(', ')}`);
    if (typeof b.fn !== 'function') throw new CompileError('rego_compile_error', `${where}.fn must be a function`);
    const { name, args: types, fn } = b;
    out.set(name, {
      name,
      arity: types.length,
      fn: (args) => {
        types.forEach((t, pos) => {
          const v = args[pos] as Value;
          if (!hasType(v, t))
            throw new BuiltinError(`operand ${pos + 1} must be ${t} but got ${typeName(v)}`, 'eval_type_error');
        });
        // Custom code sees plain numbers: a literal's kept text (`1.0`) is the engine's business.
        const value = fn(args.map(plainNumbers));
        if (value !== undefined && !hasType(value, result))
          throw new BuiltinError(`returned ${typeName(value)}, declared ${result}`);
        return value;
      },
    });
  });
  return out;
}
