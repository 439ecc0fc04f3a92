// The builtin function registry and the helpers builtins share for argument checking.
import { EvalError } from '../errors';
import { NumberText, RegoObject, RegoSet, int64Text, isNumber, numberValue, typeName, type Value } from '../value';

/** Services the evaluator offers to builtins. */
export interface BuiltinContext {
  /** Wall-clock time of the evaluation in nanoseconds since the epoch (stable within one evaluation). */
  nowNs: bigint;
  /** Counts work against the evaluation budget; throws BudgetExceededError when exhausted. */
  step(count?: number): void;
  /** Counts bytes about to be built against the memory budget (before building them); throws BudgetExceededError. */
  alloc(bytes: number): void;
  /** Options for http.send; undefined means disabled. */
  http?: { allowedHosts: string[]; timeoutMs: number };
  /** Cache for non-deterministic builtins within one evaluation (e.g. uuid.rfc4122 per seed). */
  cache: Map<string, Value>;
  /** Parses a module (for rego.parse_module). */
  parseModule?: (file: string, source: string) => Value;
}

/** Bytes a string of `codeUnits` UTF-16 code units counts against the memory budget. */
export function stringBytes(codeUnits: number): number {
  return codeUnits * 2;
}

/** Bytes one element of an array, set or object counts against the memory budget. */
export const ELEMENT_BYTES = 16;

/** Integers with more decimal digits than this pay for their size (every ordinary number has far fewer). */
const BIG_NUMBER_DIGITS = 1000;
const BIG_NUMBER_BOUND = 10n ** BigInt(BIG_NUMBER_DIGITS);

/** Decimal digits of a number value (a bigint's from its bit length), or 0 for an ordinary one. */
export function bigNumberDigits(v: Value): number {
  if (v instanceof NumberText) return v.text.length > BIG_NUMBER_DIGITS ? v.text.length : 0;
  if (typeof v !== 'bigint' || (v < BIG_NUMBER_BOUND && v > -BIG_NUMBER_BOUND)) return 0;
  return Math.ceil(v.toString(16).length * 4 * Math.log10(2));
}

/**
 * Steps a builtin's work on a number of `digits` decimal digits counts: converting between decimal text and
 * binary (to a float, to text, to a set key) is about quadratic, some 20 ms for 100,000 digits here, and a
 * builtin runs without checking the clock; so a policy cannot spend seconds between two checks of it.
 */
export function bigNumberSteps(digits: number): number {
  return digits === 0 ? 0 : Math.ceil((digits * digits) / 500_000);
}

/** Bytes a number of `digits` decimal digits counts against the memory budget (a bigint takes 0.42 a digit). */
export function bigNumberBytes(digits: number): number {
  return Math.ceil(digits / 2);
}

/** Several results of a relation builtin (like `walk`), each a separate solution. */
export class Many {
  constructor(readonly values: Value[]) {}
}

/** A builtin function implementation. Returns undefined when the call is undefined. */
export type BuiltinFn = (args: Value[], ctx: BuiltinContext) => Value | Many | undefined;

/** Definition of a builtin: its name, argument count and implementation. */
export interface BuiltinDef {
  name: string;
  arity: number;
  fn: BuiltinFn;
  /** Whether the builtin returns a boolean test rather than a value (used by arity checks only). */
  relation?: boolean;
}

/** Every builtin, by dotted name. */
export const BUILTINS = new Map<string, BuiltinDef>();

/** Registers builtins. */
export function register(name: string, arity: number, fn: BuiltinFn): void {
  BUILTINS.set(name, { name, arity, fn });
}

/** Error raised by a builtin's implementation: the call becomes undefined and the error is recorded. */
export class BuiltinError extends EvalError {
  constructor(message: string, code: 'eval_type_error' | 'eval_builtin_error' = 'eval_builtin_error') {
    super(code, message);
    this.name = 'BuiltinError';
  }
}

/** Error raised for an operand of the wrong type. */
export function operandError(pos: number, expected: string, got: Value): BuiltinError {
  return new BuiltinError(`operand ${pos} must be ${expected} but got ${typeName(got)}`, 'eval_type_error');
}

/** Returns the argument as a string or throws an operand type error. */
export function str(args: Value[], i: number): string {
  const v = args[i] as Value;
  if (typeof v !== 'string') throw operandError(i + 1, 'string', v);
  return v;
}

/** Returns the argument as a number (number or bigint) or throws. */
export function num(args: Value[], i: number): number | bigint {
  const v = args[i] as Value;
  if (!isNumber(v)) throw operandError(i + 1, 'number', v);
  return numberValue(v);
}

/** Returns the argument as a JS number. */
export function jsNum(args: Value[], i: number): number {
  return Number(num(args, i));
}

/** Returns the argument as an integer (bigint) or throws "must be integer number". */
export function int(args: Value[], i: number): bigint {
  const v = args[i] as Value;
  if (!isNumber(v)) throw operandError(i + 1, 'number', v);
  // OPA reads most integer operands with ast.Number.Int64 (util.Atoi64): a larger one, or text with an
  // exponent or a fraction other than zeros (`1e3`, `1.5`), counts as "floating-point" there.
  const n = int64Text(v);
  if (n === undefined)
    throw new BuiltinError(`operand ${i + 1} must be integer number but got floating-point number`, 'eval_type_error');
  return n;
}

/** Returns the argument as an integer of any size (OPA's BigIntOperand: numbers.range*, bits.*). */
export function bigInt(args: Value[], i: number): bigint {
  const v = num(args, i);
  if (typeof v === 'bigint') return v;
  if (!Number.isInteger(v))
    throw new BuiltinError(`operand ${i + 1} must be integer number but got floating-point number`, 'eval_type_error');
  return BigInt(v);
}

/** Returns the argument as an array or throws. */
export function arr(args: Value[], i: number): Value[] {
  const v = args[i] as Value;
  if (!Array.isArray(v)) throw operandError(i + 1, 'array', v);
  return v;
}

/** Returns the argument as an object or throws. */
export function obj(args: Value[], i: number): RegoObject {
  const v = args[i] as Value;
  if (!(v instanceof RegoObject)) throw operandError(i + 1, 'object', v);
  return v;
}

/** Returns the argument as a set or throws. */
export function set(args: Value[], i: number): RegoSet {
  const v = args[i] as Value;
  if (!(v instanceof RegoSet)) throw operandError(i + 1, 'set', v);
  return v;
}

/** Returns the argument as a boolean or throws. */
export function bool(args: Value[], i: number): boolean {
  const v = args[i] as Value;
  if (typeof v !== 'boolean') throw operandError(i + 1, 'boolean', v);
  return v;
}

/** Elements of an array or set argument, or throws "must be one of {array, set}". */
export function collection(args: Value[], i: number, expected = 'one of {array, set}'): Value[] {
  const v = args[i] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  throw operandError(i + 1, expected, v);
}

/** Builds a JS number/bigint result, keeping integers exact. */
export function numberResult(n: number | bigint): number | bigint {
  if (typeof n === 'bigint') {
    if (n <= BigInt(Number.MAX_SAFE_INTEGER) && n >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(n);
    return n;
  }
  return n;
}

// Builtins registered for one policy (CompileOptions.builtins), visible while it compiles or evaluates.
let policyBuiltins: ReadonlyMap<string, BuiltinDef> | undefined;

/** The builtin called `name`: the policy's own first, then the standard ones. */
export function lookupBuiltin(name: string): BuiltinDef | undefined {
  return policyBuiltins?.get(name) ?? BUILTINS.get(name);
}

/** Runs fn (synchronously) with a policy's custom builtins visible to lookupBuiltin. */
export function withPolicyBuiltins<T>(builtins: ReadonlyMap<string, BuiltinDef> | undefined, fn: () => T): T {
  const prev = policyBuiltins;
  policyBuiltins = builtins;
  try {
    return fn();
  } finally {
    policyBuiltins = prev;
  }
}
