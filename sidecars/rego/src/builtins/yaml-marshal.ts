// yaml.marshal as OPA writes it: OPA encodes the value as JSON and converts that with sigs.k8s.io/yaml,
// whose go-yaml v2 encoder decides how each string is written. A string YAML 1.1 would read as something
// else (yes/no/on/off, numbers with `_` or `:`, timestamps) is double-quoted; one that cannot be plain
// (indicators, surrounding spaces, `: `, ` #`) single-quoted; one with a tab or a character go-yaml does
// not print raw (controls, characters beyond U+FFFF) double-quoted with escapes; a multi-line string is a
// literal block. Map keys are sorted in go-yaml's natural order (`a9` before `a10`), lines are not
// folded, integers up to uint64 print in decimal and other numbers as strconv's 'g'. The `yaml` package
// follows YAML 1.2 and its own style choices, so the text is written here (decision 135).
import { NumberText, RegoSet, toJSONText, type Value } from '../value';

const RESOLVES_AS_BOOL_OR_NULL = new Set(
  'y Y yes Yes YES on On ON true True TRUE n N no No NO off Off OFF false False FALSE ~ null Null NULL'.split(' '),
);
const SPECIAL_FLOAT = /^[-+]?\.(inf|Inf|INF)$|^\.(nan|NaN|NAN)$/;
const FLOAT = /^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$/;
const INT = /^[-+]?(0b[01]+|0x[0-9a-fA-F]+|0o?[0-7]+|[0-9]+)$/;
const BASE60 = /^[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?$/;
const TIMESTAMP =
  /^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:(?:[Tt]| )[0-9]{1,2}:[0-9]{1,2}:[0-9]{1,2}(?:\.[0-9]*)?(?:Z|[-+][0-9]{2}:[0-9]{2})?)?$/;

/** Whether go-yaml v2 would read the plain scalar `s` as anything but a string. */
function resolvesAsNonString(s: string): boolean {
  if (s === '' || s === '<<' || RESOLVES_AS_BOOL_OR_NULL.has(s) || SPECIAL_FLOAT.test(s)) return true;
  const digits = s.replace(/_/g, '');
  return INT.test(digits) || FLOAT.test(digits) || BASE60.test(s) || TIMESTAMP.test(s);
}

/** go-yaml's is_printable (on code points): what it writes without an escape. */
function isPrintable(c: number): boolean {
  return (
    c === 0x0a || (c >= 0x20 && c <= 0x7e) || (c >= 0xa0 && c <= 0xd7ff) || (c >= 0xe000 && c <= 0xfffd && c !== 0xfeff)
  );
}

const isBreak = (c: number): boolean => c === 0x0a || c === 0x0d || c === 0x85 || c === 0x2028 || c === 0x2029;
const isBlank = (c: number | undefined): boolean => c === undefined || c === 0x20 || c === 0x09 || isBreak(c);

interface Analysis {
  plainAllowed: boolean;
  singleQuotedAllowed: boolean;
  blockAllowed: boolean;
  multiline: boolean;
}

/** go-yaml's yaml_emitter_analyze_scalar. */
function analyze(s: string): Analysis {
  const cps = Array.from(s, (ch) => ch.codePointAt(0) as number);
  // Flow indicators (`,[]{}?` inside) matter only in flow style, which is never written here.
  let blockIndicators = s.startsWith('---') || s.startsWith('...');
  let leadingSpace = false;
  let leadingBreak = false;
  let trailingSpace = false;
  let trailingBreak = false;
  let breakSpace = false;
  let spaceBreak = false;
  let tabs = false;
  let special = false;
  let multiline = false;
  let precededByWhitespace = true;
  let previousSpace = false;
  let previousBreak = false;
  cps.forEach((c, i) => {
    const next = cps[i + 1];
    const followedByWhitespace = isBlank(next);
    const ch = String.fromCodePoint(c);
    if (i === 0) {
      if ('#,[]{}&*!|>\'"%@`'.includes(ch)) blockIndicators = true;
      if ((ch === '?' || ch === ':' || ch === '-') && followedByWhitespace) blockIndicators = true;
    } else {
      if (ch === ':' && followedByWhitespace) blockIndicators = true;
      if (ch === '#' && precededByWhitespace) blockIndicators = true;
    }
    if (c === 0x09) tabs = true;
    else if (!isPrintable(c)) special = true;
    if (isBreak(c)) multiline = true;
    if (c === 0x20) {
      if (i === 0) leadingSpace = true;
      if (i === cps.length - 1) trailingSpace = true;
      if (previousBreak) breakSpace = true;
      previousSpace = true;
      previousBreak = false;
    } else if (isBreak(c)) {
      if (i === 0) leadingBreak = true;
      if (i === cps.length - 1) trailingBreak = true;
      if (previousSpace) spaceBreak = true;
      previousSpace = false;
      previousBreak = true;
    } else {
      previousSpace = false;
      previousBreak = false;
    }
    precededByWhitespace = isBlank(c);
  });
  let blockPlain = true;
  let single = true;
  let block = true;
  if (leadingSpace || leadingBreak || trailingSpace || trailingBreak) blockPlain = false;
  if (trailingSpace) block = false;
  if (breakSpace) blockPlain = single = false;
  if (spaceBreak || tabs || special) blockPlain = single = false;
  if (spaceBreak || special) block = false;
  if (multiline) blockPlain = false;
  if (blockIndicators) blockPlain = false;
  return {
    plainAllowed: blockPlain,
    singleQuotedAllowed: single,
    blockAllowed: block,
    multiline,
  };
}

const ESCAPES: Record<number, string> = {
  0: '0',
  7: 'a',
  8: 'b',
  9: 't',
  0x0a: 'n',
  0x0b: 'v',
  0x0c: 'f',
  0x0d: 'r',
  0x1b: 'e',
  0x22: '"',
  0x5c: '\\',
  0x85: 'N',
  0xa0: '_',
  0x2028: 'L',
  0x2029: 'P',
};

function doubleQuoted(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0) as number;
    if (isPrintable(c) && !isBreak(c) && c !== 0x22 && c !== 0x5c && c !== 0xa0 && c !== 0xfeff) {
      out += ch;
      continue;
    }
    const named = ESCAPES[c];
    const hex = c.toString(16).toUpperCase();
    out +=
      named !== undefined
        ? `\\${named}`
        : c <= 0xff
          ? `\\x${hex.padStart(2, '0')}`
          : c <= 0xffff
            ? `\\u${hex.padStart(4, '0')}`
            : `\\U${hex.padStart(8, '0')}`;
  }
  return out + '"';
}

/** A literal block scalar's header and lines at `indent` (go-yaml's chomping and indentation hints). */
function literal(s: string, indent: string): string {
  let header = '|';
  if (s.startsWith(' ') || s.startsWith('\n')) header += '2';
  if (!s.endsWith('\n')) header += '-';
  else if (s === '\n' || s.endsWith('\n\n')) header += '+';
  const body = s.endsWith('\n') ? s.slice(0, -1) : s;
  return (
    header +
    body
      .split('\n')
      .map((line) => (line === '' ? '\n' : `\n${indent}${line}`))
      .join('')
  );
}

/** A string as a value (`asKey` false) or as a simple map key. */
function scalarString(s: string, indent: string, asKey: boolean): string {
  const a = analyze(s);
  if (resolvesAsNonString(s)) return doubleQuoted(s);
  if (s.includes('\n') && !asKey) return a.blockAllowed ? literal(s, indent) : doubleQuoted(s);
  if (a.plainAllowed && !(asKey && a.multiline)) return s;
  if (a.singleQuotedAllowed && !(asKey && a.multiline)) return `'${s.replace(/'/g, "''")}'`;
  return doubleQuoted(s);
}

/** strconv.FormatFloat(x, 'g', -1, 64): shortest digits, the exponent form below 1e-4 and from 1e6. */
function formatFloatG(x: number): string {
  const [mantissa, exponent] = x.toExponential().split('e') as [string, string];
  const exp = Number(exponent);
  if (exp < -4 || exp >= 6) return `${mantissa}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return String(x);
}

function formatNumber(v: number | bigint): string {
  if (typeof v === 'bigint' || Number.isInteger(v)) {
    const n = BigInt(v);
    // JSON integers go-yaml reads as int64 or uint64; larger ones become floats.
    if (n >= -(2n ** 63n) && n < 2n ** 64n) return n.toString();
  }
  return formatFloatG(Number(v));
}

/** go-yaml v2's keyList.Less for string keys: letters by code point, runs of digits by their number. */
export function goYamlKeyLess(a: string, b: string): boolean {
  const ar = Array.from(a, (ch) => ch.codePointAt(0) as number);
  const br = Array.from(b, (ch) => ch.codePointAt(0) as number);
  const isLetter = (c: number): boolean => /\p{L}/u.test(String.fromCodePoint(c));
  const isDigit = (c: number | undefined): boolean => c !== undefined && /\p{Nd}/u.test(String.fromCodePoint(c));
  for (let i = 0; i < ar.length && i < br.length; i++) {
    const ac = ar[i] as number;
    const bc = br[i] as number;
    if (ac === bc) continue;
    const al = isLetter(ac);
    const bl = isLetter(bc);
    if (al && bl) return ac < bc;
    if (al || bl) return bl;
    let an = 0n;
    let bn = 0n;
    if (ac === 0x30 || bc === 0x30) {
      for (let j = i - 1; j >= 0 && isDigit(ar[j]); j--) {
        if (ar[j] !== 0x30) {
          an = bn = 1n;
          break;
        }
      }
    }
    let ai = i;
    for (; ai < ar.length && isDigit(ar[ai]); ai++)
      an = BigInt.asIntN(64, an * 10n + BigInt((ar[ai] as number) - 0x30));
    let bi = i;
    for (; bi < br.length && isDigit(br[bi]); bi++)
      bn = BigInt.asIntN(64, bn * 10n + BigInt((br[bi] as number) - 0x30));
    if (an !== bn) return an < bn;
    if (ai !== bi) return ai < bi;
    return ac < bc;
  }
  return ar.length < br.length;
}

type Node = null | boolean | number | bigint | NumberText | string | Node[] | MapNode;
class MapNode {
  constructor(readonly entries: Array<[string, Node]>) {}
}

/** The value as JSON data: sets become sorted arrays, non-string keys their JSON text. */
function toNode(v: Value): Node {
  if (v === null || typeof v !== 'object' || v instanceof NumberText) return v;
  if (Array.isArray(v)) return v.map(toNode);
  if (v instanceof RegoSet) return v.sorted().map(toNode);
  const entries: Array<[string, Node]> = [];
  for (const [k, x] of v.sortedEntries()) entries.push([typeof k === 'string' ? k : toJSONText(k), toNode(x)]);
  entries.sort(([a], [b]) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0));
  return new MapNode(entries);
}

const isEmptyCollection = (n: Node): boolean =>
  (Array.isArray(n) && n.length === 0) || (n instanceof MapNode && n.entries.length === 0);

function scalar(n: Node, indent: string): string {
  if (n === null) return 'null';
  if (typeof n === 'boolean') return String(n);
  if (typeof n === 'number' || typeof n === 'bigint') return formatNumber(n);
  // go-yaml reads the JSON text OPA hands it: a literal written with a fraction or exponent is a float.
  if (n instanceof NumberText)
    return /[.eE]/.test(n.text) && Number.isFinite(Number(n.text))
      ? formatFloatG(Number(n.text))
      : formatNumber(n.value);
  if (typeof n === 'string') return scalarString(n, indent, false);
  return n instanceof MapNode ? '{}' : '[]';
}

/** Lines of a block collection at `indent`; the first line carries no indentation (its caller wrote it). */
function block(n: Node, indent: string): string {
  if (n instanceof MapNode && n.entries.length > 0) {
    return n.entries
      .map(([k, v], i) => {
        const inner = `${indent}  `;
        // A multi-line key that can be a block is written as a complex key (`? |-` … `: value`).
        const complexKey = k.includes('\n') && !resolvesAsNonString(k) && analyze(k).blockAllowed;
        const key = complexKey
          ? `${i === 0 ? '' : indent}? ${literal(k, inner)}\n${indent}:`
          : `${i === 0 ? '' : indent}${scalarString(k, indent, true)}:`;
        if (v instanceof MapNode && !isEmptyCollection(v)) return `${key}\n${inner}${block(v, inner)}`;
        if (Array.isArray(v) && !isEmptyCollection(v)) return `${key}\n${inner}${block(v, inner)}`;
        return `${key} ${scalar(v, inner)}\n`;
      })
      .join('');
  }
  if (Array.isArray(n) && n.length > 0) {
    return n
      .map((item, i) => {
        const dash = `${i === 0 ? '' : indent}- `;
        const inner = `${indent}  `;
        if (isEmptyCollection(item) || !(item instanceof MapNode || Array.isArray(item)))
          return `${dash}${scalar(item, inner)}\n`;
        return `${dash}${block(item, inner)}`;
      })
      .join('');
  }
  return `${scalar(n, indent)}\n`;
}

/** `yaml.marshal`'s text for a value. */
export function marshalYAML(value: Value): string {
  const node = toNode(value);
  // A document's own block scalar is indented like a collection's content.
  if (typeof node === 'string') return `${scalarString(node, '  ', false)}\n`;
  return block(node, '');
}
