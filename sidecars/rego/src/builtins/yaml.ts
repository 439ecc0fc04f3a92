// yaml.unmarshal / yaml.is_valid as OPA's internal/yaml (go-yaml v3) reads a stream: the first document is
// the value, every later one must still parse, duplicate keys keep the last value, and errors are worded
// like go-yaml's for the common mistakes.
import { parseAllDocuments, type YAMLError } from 'yaml';
import { InvalidNumberError, fromJS, numberFromText, type Value } from '../value';
import { BuiltinError } from './registry';

/** 1-based line of an offset in `src`. */
function lineAt(src: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < src.length; i++) if (src.charCodeAt(i) === 10) line++;
  return line;
}

/** go-yaml prints `line N: ` only for N > 0. */
function at(line: number, message: string): string {
  return line > 0 ? `line ${line}: ${message}` : message;
}

/**
 * The yaml package's first error in go-yaml's words. go-yaml's scanner reports the 1-based line of the
 * problem (none on the first line); its parser reports the 0-based line of the token it did not expect.
 */
function goMessage(src: string, err: YAMLError): string {
  const offset = err.pos[0];
  const line = lineAt(src, offset);
  const first = err.message.split('\n')[0]?.replace(/ at line \d+, column \d+:?$/, '') ?? err.message;
  const scanner = (m: string): string => at(line > 1 ? line : 0, m);
  switch (err.code) {
    case 'TAB_AS_INDENT':
    case 'BAD_SCALAR_START':
      return scanner('found character that cannot start any token');
    case 'BLOCK_AS_IMPLICIT_KEY':
      if (first.startsWith('Nested mappings')) {
        // go-yaml stops at the ':' that starts the nested mapping.
        const colon = src.slice(offset).search(/:(\s|$)/);
        const where = lineAt(src, colon < 0 ? offset : offset + colon);
        return at(where > 1 ? where : 0, 'mapping values are not allowed in this context');
      }
      return at(line - 1, 'did not find expected key');
    case 'BAD_INDENT':
      if (first.startsWith('Flow sequence'))
        return at(flowErrorLine(src, offset, '['), "did not find expected ',' or ']'");
      if (first.startsWith('Flow map')) return at(flowErrorLine(src, offset, '{'), "did not find expected ',' or '}'");
      return at(line - 1, 'did not find expected key');
    case 'MISSING_CHAR':
      if (first.startsWith('Flow sequence'))
        return at(flowErrorLine(src, offset, '['), "did not find expected ',' or ']'");
      if (first.startsWith('Flow map')) return at(flowErrorLine(src, offset, '{'), "did not find expected ',' or '}'");
      if (first.startsWith('Missing closing')) return scanner('found unexpected end of stream');
      return at(line - 1, "could not find expected ':'");
    case 'UNEXPECTED_TOKEN':
      return at(
        line - 1,
        /^\s*-/m.test(src.slice(0, offset)) && isBlockSequenceEnd(src, offset)
          ? "did not find expected '-' indicator"
          : 'did not find expected <document start>',
      );
    default:
      return at(line, first);
  }
}

/**
 * go-yaml's parser names the 0-based line of the flow collection it was in (its context), or when that is
 * the first line, the line of the problem; its end of stream after an unterminated line is one line further.
 */
function flowErrorLine(src: string, offset: number, open: string): number {
  const i = src.lastIndexOf(open, Math.max(0, offset - 1));
  const context = i < 0 ? 0 : lineAt(src, i) - 1;
  if (context !== 0) return context;
  const atEnd = offset >= src.length && src.length > 0 && !src.endsWith('\n');
  return lineAt(src, offset) - 1 + (atEnd ? 1 : 0);
}

/** Whether the token at `offset` starts a line at the indentation of a block sequence above it. */
function isBlockSequenceEnd(src: string, offset: number): boolean {
  const lineStart = src.lastIndexOf('\n', offset - 1) + 1;
  const indent = offset - lineStart;
  const before = src.slice(0, lineStart).split('\n').reverse();
  for (const l of before) {
    if (l.trim() === '' || l.trimStart().startsWith('#')) continue;
    const ind = l.length - l.trimStart().length;
    if (ind < indent) return false;
    if (ind === indent) return l.trimStart().startsWith('- ') || l.trim() === '-';
  }
  return false;
}

/**
 * Integers as go-yaml reads plain scalars (Go's ParseInt with base 0 after dropping `_`): `0b101`, `0o17`,
 * `0x1F`, a leading-zero octal `010` (8), `1_000`. YAML 1.2's core schema reads `010` as 10 and the rest
 * as strings. A leading zero with a non-octal digit (`08`) is not an integer; it falls to the float tag.
 */
const goIntTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:int',
  test: /^[-+]?(?:0b[01_]+|0o[0-7_]+|0x[0-9a-fA-F_]+|0[0-7_]+|[1-9][0-9_]*|0)$/,
  resolve(text: string): Value {
    const negative = text.startsWith('-');
    const digits = text.replace(/^[-+]/, '').replace(/_/g, '');
    const n = /^0[0-7]/.test(digits) ? BigInt(`0o${digits.slice(1)}`) : BigInt(digits);
    const value = negative ? -n : n;
    // Beyond int64 and uint64 go-yaml reads a decimal as a float64 (which OPA's JSON step prints as
    // `1.2345678901234568e+29`), and anything else as a string.
    if (value >= -(2n ** 63n) && value < 2n ** 64n) return value;
    return /^[-+]?[0-9_]+$/.test(text) ? goFloat(text) : text;
  },
};

/** Floats with `_` between digits (`0.1_0`), which go-yaml drops before ParseFloat; `08` too. */
const goFloatTag = {
  identify: () => false,
  default: true,
  tag: 'tag:yaml.org,2002:float',
  test: /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?$/,
  resolve: goFloat,
};

/**
 * A float as go-yaml reads it: ParseFloat after dropping `_`; beyond float64 (`1e400`) it stays a string.
 * OPA then writes it as JSON text with its shortest digits (2^63 as float64 is 9223372036854776000).
 */
function goFloat(text: string): Value {
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(n)) return text;
  // JS prints a float64 as Go's encoding/json does (shortest digits, an exponent from 1e21 on).
  return Number.isSafeInteger(n) || !Number.isInteger(n) ? n : (numberFromText(String(n)) ?? n);
}

/** Parses a YAML stream the way OPA does; throws BuiltinError with go-yaml's wording. */
export function parseYAML(src: string): Value {
  const docs = parseAllDocuments(src, {
    intAsBigInt: true,
    uniqueKeys: false,
    customTags: (tags) => [goIntTag, goFloatTag, ...tags],
  });
  if (!Array.isArray(docs)) return null; // an empty stream
  for (const doc of docs) {
    const err = doc.errors[0];
    if (err) throw new BuiltinError(`yaml: ${goMessage(src, err)}`);
  }
  const first = docs[0];
  if (!first) return null;
  let data: unknown;
  try {
    // Aliases could expand a small document into a huge value: the yaml package refuses more than 100.
    data = first.toJS({ maxAliasCount: 100 });
  } catch (error) {
    const alias = /Unresolved alias \(the anchor must be set before the alias\): (\S+)/.exec((error as Error).message);
    if (alias) throw new BuiltinError(`yaml: unknown anchor '${alias[1]}' referenced`);
    throw new BuiltinError(`yaml: ${(error as Error).message}`);
  }
  try {
    return fromJS(data);
  } catch (error) {
    if (error instanceof InvalidNumberError)
      throw new BuiltinError(`yaml: ${error.where('value')}: ${error.number} is not a valid number`);
    throw error;
  }
}
