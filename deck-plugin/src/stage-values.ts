// Reads a gate stage's `parameterValues` whatever wrote them. The plugin's editors write typed JSON, but
// Deck's generic preconfigured-webhook form (used when the plugin is not installed or failed to load)
// writes every parameter as a string (`'[]'`, `'86400000'`, `'true'`), and hand-edited pipeline JSON can
// hold anything. Editors and validators work on the normalised values; what cannot be read is kept as it
// was and reported as a problem on its field, so nothing is lost and nothing renders blank.
import { gateStages } from './catalog';
import type { GateKind } from './catalog';

type ParameterType = (typeof gateStages)[GateKind]['parameters'][number]['type'];

/** The result of normalising one stage's parameter values. */
export interface NormalizedValues {
  /** The values with every readable one converted to the type the catalog declares. */
  values: Record<string, unknown>;
  /** Per parameter name: why its value could not be read (the raw value is kept in `values`). */
  problems: Record<string, string>;
  /** Whether any value differs from the raw input (the editor then writes the typed values back). */
  changed: boolean;
}

/** Normalises `parameterValues` of a gate stage of the given kind. */
export function normalizeParameterValues(kind: GateKind, raw: unknown): NormalizedValues {
  const problems: Record<string, string> = {};
  const whole = readJson(raw ?? {}, 'an object', isRecord);
  if (!whole.ok || !isRecord(whole.value)) {
    // Shown on the first field, so the author sees why the editor starts empty.
    const first = gateStages[kind].parameters[0]?.name ?? 'parameters';
    const problem = whole.ok ? 'must be an object.' : whole.problem;
    return { values: {}, problems: { [first]: `Stage parameters ${problem} They were reset.` }, changed: true };
  }
  const input = whole.value;
  let changed = input !== raw;
  const values: Record<string, unknown> = { ...input };
  for (const parameter of gateStages[kind].parameters) {
    if (!Object.hasOwn(input, parameter.name)) continue;
    const result = readValue(parameter.type, input[parameter.name]);
    const fixed = result.ok ? fixNested(kind, parameter.name, result.value) : result.value;
    if ('problem' in result && result.problem) problems[parameter.name] = `${parameter.label} ${result.problem}`;
    if (fixed !== input[parameter.name]) {
      changed = true;
      if (fixed === undefined) delete values[parameter.name];
      else values[parameter.name] = fixed;
    }
  }
  return { values, problems, changed };
}

type ReadResult = { ok: true; value: unknown } | { ok: false; value: unknown; problem: string };

function readValue(type: ParameterType, value: unknown): ReadResult {
  // A SpEL expression is evaluated by Orca at run time: keep it as written.
  if (value === undefined || value === null || isSpel(value)) return { ok: true, value };
  switch (type) {
    case 'string':
      if (typeof value === 'string') return { ok: true, value };
      if (typeof value === 'number' || typeof value === 'boolean') return { ok: true, value: String(value) };
      return { ok: false, value, problem: 'must be text.' };
    case 'number':
      return readNumber(value);
    case 'boolean':
      if (typeof value === 'boolean') return { ok: true, value };
      if (typeof value === 'string' && /^(true|false)$/i.test(value.trim())) {
        return { ok: true, value: value.trim().toLowerCase() === 'true' };
      }
      if (value === '') return { ok: true, value: undefined };
      return { ok: false, value, problem: `must be true or false (found ${describe(value)}).` };
    case 'array':
      return readJson(value, 'a list', (parsed) => Array.isArray(parsed));
    case 'string[]':
      return readNameList(value);
    case 'object':
      return readJson(value, 'an object', isRecord);
  }
}

/**
 * A list of names: a JSON list of strings, or the comma-separated text a person types into Deck's generic
 * form (`Done, Closed`).
 */
function readNameList(value: unknown): ReadResult {
  const isNames = (parsed: unknown) =>
    Array.isArray(parsed) && parsed.every((item) => typeof item === 'string' || isSpel(item));
  if (typeof value === 'string' && !value.trim().startsWith('[')) {
    return { ok: true, value: splitNames(value) };
  }
  const read = readJson(value, 'a list of names', isNames);
  return read;
}

/** `a, b ,, c` → `['a', 'b', 'c']`. */
export function splitNames(text: string): string[] {
  return text
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function readNumber(value: unknown): ReadResult {
  if (typeof value === 'number' && Number.isFinite(value)) return { ok: true, value };
  if (typeof value === 'string') {
    const text = value.trim();
    if (text === '') return { ok: true, value: undefined };
    const parsed = Number(text);
    if (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text) && Number.isFinite(parsed)) {
      return { ok: true, value: parsed };
    }
  }
  return { ok: false, value, problem: `must be a number (found ${describe(value)}).` };
}

function readJson(value: unknown, what: string, fits: (v: unknown) => boolean): ReadResult {
  if (fits(value)) return { ok: true, value };
  if (typeof value !== 'string') return { ok: false, value, problem: `must be ${what} (found ${describe(value)}).` };
  const text = value.trim();
  if (text === '') return { ok: true, value: undefined };
  try {
    const parsed: unknown = JSON.parse(text);
    if (fits(parsed)) return { ok: true, value: parsed };
  } catch {
    return { ok: false, value, problem: `must be ${what} in JSON; this text is not valid JSON: ${clip(text)}` };
  }
  return { ok: false, value, problem: `must be ${what} (found ${clip(text)}).` };
}

/** Numbers inside the composite parameters that the generic form or hand edits leave as strings. */
function fixNested(kind: GateKind, name: string, value: unknown): unknown {
  if ((kind === 'approval' || kind === 'terraform') && name === 'approverGroups' && Array.isArray(value)) {
    let changed = false;
    const groups = value.map((group: unknown) => {
      if (typeof group === 'string') {
        changed = true;
        return { name: group, required: 1 };
      }
      if (!isRecord(group) || typeof group['required'] !== 'string') return group;
      const required = readNumber(group['required']);
      if (!required.ok || isSpel(group['required'])) return group;
      changed = true;
      return { ...group, required: required.value };
    });
    return changed ? groups : value;
  }
  if (kind === 'verification' && name === 'thresholds') return numbersAt(value, ['pass', 'marginal']);
  if (kind === 'verification' && name === 'weights') return numbersAt(value, ['metric', 'log']);
  if (kind === 'testVerification' && name === 'thresholds') return numbersAt(value, ['pass', 'marginal']);
  if (kind === 'testVerification' && name === 'durations')
    return numbersAt(value, ['ratio', 'minIncreaseMs', 'suiteRatio', 'suiteMinIncreaseMs']);
  return value;
}

/** The object with each of `keys` that holds a numeric string read as a number (SpEL stays as written). */
function numbersAt(value: unknown, keys: string[]): unknown {
  if (!isRecord(value)) return value;
  let result = value;
  for (const key of keys) {
    const raw = result[key];
    if (typeof raw !== 'string' || isSpel(raw)) continue;
    const read = readNumber(raw);
    if (read.ok) result = { ...result, [key]: read.value };
  }
  return result;
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `"${clip(value)}"`;
  if (Array.isArray(value)) return 'a list';
  if (isRecord(value)) return 'an object';
  return String(value);
}

function clip(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/** A `${...}` value is evaluated by Orca at run time, so it cannot be read here. */
export function isSpel(value: unknown): boolean {
  return typeof value === 'string' && value.includes('${');
}

/** A plain JSON object (not an array, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
