// Operators, aggregates, arrays, sets, objects, types, numbers and bits.
import * as arithmetic from './arithmetic';
import {
  NumberText,
  RegoObject,
  RegoSet,
  compareValues,
  isNumber,
  numberFromText,
  typeName,
  valuesEqual,
  type Value,
} from '../value';
import {
  BuiltinError,
  ELEMENT_BYTES,
  Many,
  arr,
  bigNumberBytes,
  bigNumberDigits,
  bigInt,
  collection,
  int,
  numberResult,
  obj,
  operandError,
  register,
  set,
  str,
  type BuiltinContext,
} from './registry';

// ---- comparison ------------------------------------------------------------------------------

register('equal', 2, ([a, b]) => valuesEqual(a as Value, b as Value));
register('neq', 2, ([a, b]) => !valuesEqual(a as Value, b as Value));
register('lt', 2, ([a, b]) => compareValues(a as Value, b as Value) < 0);
register('lte', 2, ([a, b]) => compareValues(a as Value, b as Value) <= 0);
register('gt', 2, ([a, b]) => compareValues(a as Value, b as Value) > 0);
register('gte', 2, ([a, b]) => compareValues(a as Value, b as Value) >= 0);

// ---- arithmetic (as OPA computes it: ./arithmetic.ts) -------------------------------------------

/** An exact product has as many digits as both factors together; repeated squaring doubles them each time. */
function chargeProduct(a: bigint, b: bigint, ctx: BuiltinContext): void {
  const bytes = (n: bigint): number => (n > 2n ** 53n || n < -(2n ** 53n) ? n.toString(16).length / 2 : 8);
  if (bytes(a) > 8 || bytes(b) > 8) ctx.alloc(bytes(a) + bytes(b));
}

function operands(args: Value[]): [number | bigint | NumberText, number | bigint | NumberText] {
  const a = args[0] as Value;
  const b = args[1] as Value;
  if (!isNumber(a)) throw operandError(1, 'number', a);
  if (!isNumber(b)) throw operandError(2, 'number', b);
  return [a, b];
}

function operand(args: Value[]): number | bigint | NumberText {
  const a = args[0] as Value;
  if (!isNumber(a)) throw operandError(1, 'number', a);
  return a;
}

register('plus', 2, (args) => arithmetic.plus(...operands(args)));
register('minus', 2, (args) => {
  const a = args[0] as Value;
  const b = args[1] as Value;
  if (a instanceof RegoSet && b instanceof RegoSet) {
    return new RegoSet(a.sorted().filter((x) => !b.has(x)));
  }
  if (a instanceof RegoSet) throw operandError(2, 'set', b);
  if (isNumber(a) && !isNumber(b)) throw operandError(2, 'number', b);
  if (!isNumber(a)) throw operandError(1, 'one of {number, set}', a);
  if (!isNumber(b)) throw operandError(2, 'number', b);
  return arithmetic.minus(a, b);
});
register('mul', 2, (args, ctx) => {
  const [a, b] = operands(args);
  if (typeof a === 'bigint' || typeof b === 'bigint' || a instanceof NumberText || b instanceof NumberText) {
    const x = arithmetic.exactInteger(a);
    const y = arithmetic.exactInteger(b);
    if (x !== undefined && y !== undefined) chargeProduct(x, y, ctx);
  }
  return arithmetic.multiply(a, b);
});
register('div', 2, (args) => arithmetic.divide(...operands(args)));
register('rem', 2, (args) => arithmetic.remainder(...operands(args)));
register('abs', 1, (args) => arithmetic.abs(operand(args)));
register('round', 1, (args) => arithmetic.round(operand(args)));
register('ceil', 1, (args) => arithmetic.ceil(operand(args)));
register('floor', 1, (args) => arithmetic.floor(operand(args)));

// ---- aggregates ------------------------------------------------------------------------------

register('count', 1, (args) => {
  const v = args[0] as Value;
  if (typeof v === 'string') return [...v].length;
  if (Array.isArray(v)) return v.length;
  if (v instanceof RegoSet || v instanceof RegoObject) return v.size;
  throw operandError(1, 'one of {array, object, set, string}', v);
});

function numbers(args: Value[], i: number): (number | bigint | NumberText)[] {
  const items = collection(args, i);
  return items.map((x) => {
    if (!isNumber(x)) throw operandError(i + 1, 'array of numbers or set of numbers', args[i] as Value);
    return x;
  });
}

register('sum', 1, (args) => arithmetic.sum(numbers(args, 0)));
register('product', 1, (args, ctx) => arithmetic.product(numbers(args, 0), (a, b) => chargeProduct(a, b, ctx)));
register('max', 1, (args) => {
  const items = collection(args, 0);
  if (items.length === 0) return undefined;
  return items.reduce((a, b) => (compareValues(a, b) >= 0 ? a : b));
});
register('min', 1, (args) => {
  const items = collection(args, 0);
  if (items.length === 0) return undefined;
  return items.reduce((a, b) => (compareValues(a, b) <= 0 ? a : b));
});
register('sort', 1, (args, ctx) => {
  const items = collection(args, 0);
  ctx.step(items.length * Math.max(1, Math.ceil(Math.log2(items.length + 1))));
  ctx.alloc(items.length * ELEMENT_BYTES);
  return [...items].sort(compareValues);
});
register('all', 1, (args) => collection(args, 0).every((x) => x === true));
register('any', 1, (args) => collection(args, 0).some((x) => x === true));

// ---- membership ------------------------------------------------------------------------------

register('internal.member_2', 2, ([x, c]) => {
  if (Array.isArray(c)) return c.some((e) => valuesEqual(e, x as Value));
  if (c instanceof RegoSet) return c.has(x as Value);
  if (c instanceof RegoObject) return c.sortedEntries().some(([, v]) => valuesEqual(v, x as Value));
  return false;
});
register('internal.member_3', 3, ([k, x, c]) => {
  if (Array.isArray(c)) {
    if (!isNumber(k as Value)) return false;
    const i = Number(k);
    return Number.isInteger(i) && i >= 0 && i < c.length && valuesEqual(c[i] as Value, x as Value);
  }
  if (c instanceof RegoObject) {
    const v = c.get(k as Value);
    return v !== undefined && valuesEqual(v, x as Value);
  }
  if (c instanceof RegoSet) return valuesEqual(k as Value, x as Value) && c.has(x as Value);
  return false;
});

// ---- sets ------------------------------------------------------------------------------------

register('and', 2, (args) => {
  const a = set(args, 0);
  const b = set(args, 1);
  return new RegoSet(a.sorted().filter((x) => b.has(x)));
});
register('or', 2, (args, ctx) => {
  const a = set(args, 0);
  const b = set(args, 1);
  ctx.alloc((a.size + b.size) * ELEMENT_BYTES);
  return new RegoSet([...a.sorted(), ...b.sorted()]);
});
register('intersection', 1, (args) => {
  const sets = set(args, 0).sorted();
  if (sets.length === 0) return new RegoSet();
  for (const s of sets) if (!(s instanceof RegoSet)) throw operandError(1, 'set of sets', args[0] as Value);
  const [first, ...rest] = sets as RegoSet[];
  return new RegoSet((first as RegoSet).sorted().filter((x) => rest.every((s) => s.has(x))));
});
register('union', 1, (args, ctx) => {
  const out = new RegoSet();
  for (const s of set(args, 0).sorted()) {
    if (!(s instanceof RegoSet)) throw operandError(1, 'set of sets', args[0] as Value);
    ctx.alloc(s.size * ELEMENT_BYTES);
    for (const x of s.sorted()) out.add(x);
  }
  return out;
});
register('set_diff', 2, (args) => {
  const a = set(args, 0);
  const b = set(args, 1);
  return new RegoSet(a.sorted().filter((x) => !b.has(x)));
});

// ---- arrays ----------------------------------------------------------------------------------

register('array.concat', 2, (args, ctx) => {
  const a = arr(args, 0);
  const b = arr(args, 1);
  ctx.alloc((a.length + b.length) * ELEMENT_BYTES);
  return [...a, ...b];
});
register('array.slice', 3, (args) => {
  const a = arr(args, 0);
  let start = Number(int(args, 1));
  let stop = Number(int(args, 2));
  if (start < 0) start = 0;
  if (stop > a.length) stop = a.length;
  if (start >= stop) return [];
  return a.slice(start, stop);
});
register('array.reverse', 1, (args, ctx) => {
  const a = arr(args, 0);
  ctx.alloc(a.length * ELEMENT_BYTES);
  return [...a].reverse();
});
// One level, as OPA's array.flatten: nested arrays' elements are spliced in, deeper arrays stay.
register('array.flatten', 1, (args, ctx) => {
  const a = arr(args, 0);
  let size = 0;
  for (const x of a) size += Array.isArray(x) ? x.length : 1;
  ctx.alloc(size * ELEMENT_BYTES);
  const out: Value[] = [];
  for (const x of a) {
    if (Array.isArray(x)) for (const y of x) out.push(y);
    else out.push(x);
  }
  return out;
});

// ---- objects ---------------------------------------------------------------------------------

register('object.get', 3, (args) => {
  const o = args[0] as Value;
  if (!(o instanceof RegoObject)) throw operandError(1, 'object', o);
  const key = args[1] as Value;
  const def = args[2] as Value;
  if (Array.isArray(key)) {
    let cur: Value = o;
    for (const k of key) {
      let next: Value | undefined;
      if (cur instanceof RegoObject) next = cur.get(k);
      else if (Array.isArray(cur) && isNumber(k) && Number.isInteger(Number(k))) next = cur[Number(k)];
      else if (cur instanceof RegoSet) next = cur.has(k) ? k : undefined;
      if (next === undefined) return def;
      cur = next;
    }
    return cur;
  }
  const v = o.get(key);
  return v === undefined ? def : v;
});
register('object.keys', 1, (args, ctx) => {
  const o = obj(args, 0);
  ctx.alloc(o.size * ELEMENT_BYTES);
  return new RegoSet(o.keys());
});
function keySet(args: Value[], i: number): Value[] {
  const v = args[i] as Value;
  if (v instanceof RegoObject) return v.keys();
  if (v instanceof RegoSet) return v.sorted();
  if (Array.isArray(v)) return v;
  throw operandError(i + 1, 'one of {object, set, array}', v);
}
register('object.remove', 2, (args, ctx) => {
  const o = obj(args, 0);
  const keys = keySet(args, 1);
  ctx.alloc(o.size * 2 * ELEMENT_BYTES);
  const out = o.clone();
  for (const k of keys) out.delete(k);
  return out;
});
register('object.filter', 2, (args) => {
  const o = obj(args, 0);
  const keys = keySet(args, 1);
  const out = new RegoObject();
  for (const k of keys) {
    const v = o.get(k);
    if (v !== undefined) out.set(k, v);
  }
  return out;
});
/** Deep-merges b into a: b wins, nested objects merge. */
export function mergeObjects(a: RegoObject, b: RegoObject, ctx?: BuiltinContext): RegoObject {
  ctx?.alloc((a.size + b.size) * 2 * ELEMENT_BYTES);
  const out = a.clone();
  for (const [k, v] of b.sortedEntries()) {
    const prev = out.get(k);
    if (prev instanceof RegoObject && v instanceof RegoObject) out.set(k, mergeObjects(prev, v, ctx));
    else out.set(k, v);
  }
  return out;
}
register('object.union', 2, (args, ctx) => mergeObjects(obj(args, 0), obj(args, 1), ctx));
register('object.union_n', 1, (args, ctx) => {
  const items = arr(args, 0);
  let out = new RegoObject();
  for (const x of items) {
    if (!(x instanceof RegoObject)) throw operandError(1, 'array of objects', args[0] as Value);
    out = mergeObjects(out, x, ctx);
  }
  return out;
});
// object.subset as OPA's topdown/subset.go: objects recurse into object, set and array values; arrays are
// contiguous sub-sequences; an array holds a set when it meets all the set's elements (counted per element
// of the array, as OPA counts them).
register('object.subset', 2, (args, ctx) => {
  const sup = args[0] as Value;
  const sub = args[1] as Value;
  if (sup instanceof RegoObject && sub instanceof RegoObject) return objectSubset(sup, sub, ctx);
  if (sup instanceof RegoSet && sub instanceof RegoSet) return setSubset(sup, sub, ctx);
  if (Array.isArray(sup) && Array.isArray(sub)) return arraySubset(sup, sub, ctx);
  if (Array.isArray(sup) && sub instanceof RegoSet) return arraySetSubset(sup, sub, ctx);
  throw new BuiltinError('both arguments object.subset must be of the same type or array and set', 'eval_type_error');
});
function objectSubset(sup: RegoObject, sub: RegoObject, ctx: BuiltinContext): boolean {
  return sub.sortedEntries().every(([k, v]) => {
    ctx.step();
    const s = sup.get(k);
    if (s === undefined) return false;
    if (valuesEqual(s, v)) return true;
    if (s instanceof RegoObject && v instanceof RegoObject) return objectSubset(s, v, ctx);
    if (s instanceof RegoSet && v instanceof RegoSet) return setSubset(s, v, ctx);
    if (Array.isArray(s) && Array.isArray(v)) return arraySubset(s, v, ctx);
    return false;
  });
}
function setSubset(sup: RegoSet, sub: RegoSet, ctx: BuiltinContext): boolean {
  ctx.step(sub.size);
  return sub.sorted().every((x) => sup.has(x));
}
function arraySubset(sup: Value[], sub: Value[], ctx: BuiltinContext): boolean {
  if (sub.length > sup.length) return false;
  // A naive search: each comparison is a step, so a quadratic search is bounded by the budget.
  for (let start = 0; start + sub.length <= sup.length; start++) {
    let j = 0;
    for (; j < sub.length; j++) {
      ctx.step();
      if (!valuesEqual(sup[start + j] as Value, sub[j] as Value)) break;
    }
    if (j === sub.length) return true;
  }
  return false;
}
function arraySetSubset(sup: Value[], sub: RegoSet, ctx: BuiltinContext): boolean {
  let unmatched = sub.size;
  for (const x of sup) {
    ctx.step();
    if (sub.has(x)) unmatched--;
    if (unmatched <= 0) return true;
  }
  return false;
}

// ---- types -----------------------------------------------------------------------------------

register('is_number', 1, ([v]) => isNumber(v as Value));
register('is_string', 1, ([v]) => typeof v === 'string');
register('is_boolean', 1, ([v]) => typeof v === 'boolean');
register('is_array', 1, ([v]) => Array.isArray(v));
register('is_set', 1, ([v]) => v instanceof RegoSet);
register('is_object', 1, ([v]) => v instanceof RegoObject);
register('is_null', 1, ([v]) => v === null);
register('type_name', 1, ([v]) => typeName(v as Value));

// ---- conversions -----------------------------------------------------------------------------

register('to_number', 1, (args) => {
  const v = args[0] as Value;
  if (v === null) return 0;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (isNumber(v)) return v;
  if (typeof v === 'string') {
    const t = v.trim();
    if (t !== v || !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(v)) {
      if (/^[+-]?(inf|infinity|nan)$/i.test(v))
        throw new BuiltinError('operand 1 must be valid number string but got string', 'eval_type_error');
      throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: invalid syntax`);
    }
    // Go's strconv.ParseFloat (what OPA uses) refuses a float beyond float64; plain integers stay exact.
    // OPA keeps the string as the number's text (`"1.0"` is a float to sprintf); a `+` sign is dropped
    // here so that json.marshal never prints invalid JSON.
    const text = v.startsWith('+') ? v.slice(1) : v;
    const n = /^[+-]?\d+$/.test(v) || Number.isFinite(Number(v)) ? numberFromText(text) : undefined;
    if (n === undefined) throw new BuiltinError(`strconv.ParseFloat: parsing ${JSON.stringify(v)}: value out of range`);
    return n;
  }
  throw operandError(1, 'one of {null, boolean, number, string}', v);
});

// ---- numbers ---------------------------------------------------------------------------------

/** Bytes each element of a range between a and b counts: its slot, and its digits when the bounds are huge. */
function rangeElementBytes(a: bigint, b: bigint): number {
  return ELEMENT_BYTES + bigNumberBytes(Math.max(bigNumberDigits(a), bigNumberDigits(b)));
}

register('numbers.range', 2, (args, ctx) => {
  const a = bigInt(args, 0);
  const b = bigInt(args, 1);
  const n = Number(a > b ? a - b : b - a) + 1;
  ctx.step(n);
  ctx.alloc(n * rangeElementBytes(a, b));
  const out: Value[] = [];
  if (a <= b) for (let x = a; x <= b; x++) out.push(numberResult(x));
  else for (let x = a; x >= b; x--) out.push(numberResult(x));
  return out;
});
register('numbers.range_step', 3, (args, ctx) => {
  const a = bigInt(args, 0);
  const b = bigInt(args, 1);
  const s = bigInt(args, 2);
  if (s <= 0n) throw new BuiltinError('step must be a positive integer');
  const n = Number((a > b ? a - b : b - a) / s) + 1;
  ctx.step(n);
  ctx.alloc(n * rangeElementBytes(a, b));
  const out: Value[] = [];
  if (a <= b) for (let x = a; x <= b; x += s) out.push(numberResult(x));
  else for (let x = a; x >= b; x -= s) out.push(numberResult(x));
  return out;
});

// ---- bits ------------------------------------------------------------------------------------

register('bits.or', 2, (args) => numberResult(bigInt(args, 0) | bigInt(args, 1)));
register('bits.and', 2, (args) => numberResult(bigInt(args, 0) & bigInt(args, 1)));
register('bits.xor', 2, (args) => numberResult(bigInt(args, 0) ^ bigInt(args, 1)));
register('bits.negate', 1, (args) => numberResult(~bigInt(args, 0)));
register('bits.lsh', 2, (args, ctx) => {
  const a = bigInt(args, 0);
  const b = bigInt(args, 1);
  // The result has about bitLength(a) + b bits; charge them before shifting.
  if (b > 0n) ctx.alloc(Number(b) / 8 + a.toString(16).length / 2);
  if (b < 0n)
    throw new BuiltinError(
      'operand 2 must be an unsigned integer number but got a negative integer',
      'eval_type_error',
    );
  return numberResult(a << b);
});
register('bits.rsh', 2, (args) => {
  const a = bigInt(args, 0);
  const b = bigInt(args, 1);
  if (b < 0n)
    throw new BuiltinError(
      'operand 2 must be an unsigned integer number but got a negative integer',
      'eval_type_error',
    );
  return numberResult(a >> b);
});

// ---- misc ------------------------------------------------------------------------------------

register('print', -1, () => true);
// No runtime configuration is exposed to policies (like OPA run without a config).
register('opa.runtime', 0, () => new RegoObject());
register('trace', 1, (args) => {
  str(args, 0);
  return true;
});
register('walk', 1, (args, ctx) => {
  const out: Value[] = [];
  const visit = (path: Value[], v: Value): void => {
    ctx.step();
    // Each result is a [path, value] pair with its own copy of the path.
    ctx.alloc((path.length + 3) * ELEMENT_BYTES);
    out.push([path, v]);
    if (Array.isArray(v)) v.forEach((x, i) => visit([...path, i], x));
    else if (v instanceof RegoObject) for (const [k, x] of v.sortedEntries()) visit([...path, k], x);
    else if (v instanceof RegoSet) for (const x of v.sorted()) visit([...path, x], x);
  };
  visit([], args[0] as Value);
  return new Many(out);
});

// ---- deprecated casts (still used by v0 policies) ------------------------------------------------

register('cast_array', 1, (args) => {
  const v = args[0] as Value;
  if (Array.isArray(v)) return v;
  if (v instanceof RegoSet) return v.sorted();
  throw operandError(1, 'one of {array, set}', v);
});
register('cast_set', 1, (args) => {
  const v = args[0] as Value;
  if (Array.isArray(v)) return new RegoSet(v);
  if (v instanceof RegoSet) return v;
  throw operandError(1, 'one of {array, set}', v);
});
register('cast_string', 1, (args) => str(args, 0));
register('cast_boolean', 1, (args) => {
  const v = args[0] as Value;
  if (typeof v !== 'boolean') throw operandError(1, 'boolean', v);
  return v;
});
register('cast_null', 1, (args) => {
  const v = args[0] as Value;
  if (v !== null) throw operandError(1, 'null', v);
  return v;
});
register('cast_object', 1, (args) => obj(args, 0));

// ---- rand / graph ------------------------------------------------------------------------------

register('rand.intn', 2, (args, ctx) => {
  const seed = str(args, 0);
  const n = int(args, 1);
  if (n === 0n) return 0;
  const key = `rand.intn:${seed}:${n}`;
  const hit = ctx.cache.get(key);
  if (hit !== undefined) return hit;
  const bound = n < 0n ? -n : n;
  const value = numberResult(BigInt(Math.floor(Math.random() * Number(bound))));
  ctx.cache.set(key, value);
  return value;
});

function neighbours(graph: RegoObject, node: Value): Value[] {
  const edges = graph.get(node);
  if (edges === undefined || edges === null) return [];
  if (Array.isArray(edges)) return edges;
  if (edges instanceof RegoSet) return edges.sorted();
  throw operandError(1, 'object containing arrays or sets', graph);
}
register('graph.reachable', 2, (args, ctx) => {
  const graph = obj(args, 0);
  const start = collection(args, 1);
  const seen = new RegoSet();
  const queue = [...start];
  while (queue.length > 0) {
    ctx.step();
    const node = queue.shift() as Value;
    if (seen.has(node) || graph.get(node) === undefined) continue;
    seen.add(node);
    queue.push(...neighbours(graph, node));
  }
  return seen;
});
register('graph.reachable_paths', 2, (args, ctx) => {
  const graph = obj(args, 0);
  const start = collection(args, 1);
  const paths = new RegoSet();
  const walkFrom = (node: Value, path: Value[]): void => {
    ctx.step();
    if (graph.get(node) === undefined) {
      if (path.length > 0) paths.add(path);
      return;
    }
    // Paths can be exponentially many: each copy is charged before it is made.
    ctx.alloc((path.length + 1) * ELEMENT_BYTES);
    ctx.step(path.length);
    const next = [...path, node];
    const outs = neighbours(graph, node).filter((x) => !next.some((p) => valuesEqual(p, x)));
    if (outs.length === 0) paths.add(next);
    for (const o of outs) walkFrom(o, next);
  };
  for (const s of start) walkFrom(s, []);
  return paths;
});
