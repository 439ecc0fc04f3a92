// Runs OPA's YAML conformance cases the way OPA's topdown harness judges them.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ParseError, RegoError } from './errors';
import { Evaluation } from './eval';
import { parseTerm, termToValue } from './parser';
import { compile } from './policy';
import { RegoObject, RegoSet, compareValues, fromJS, toJSONText, valuesEqual, type Value } from './value';

/** One case as written in the YAML files. */
interface ConformanceCase {
  note?: string;
  query?: string;
  modules?: string[];
  data?: unknown;
  input?: unknown;
  input_term?: string;
  want_result?: Record<string, unknown>[] | null;
  want_error?: string;
  want_error_code?: string;
  strict_error?: boolean;
  sort_bindings?: boolean;
  ignore_generated_vars?: boolean;
  experimental_keywords?: boolean;
}

/** Outcome of one case. */
export interface CaseOutcome {
  file: string;
  category: string;
  note: string;
  status: 'passed' | 'failed' | 'skipped';
  reason?: string;
}

/** Totals over a run; `passRate` = passed / (passed + failed). */
export interface ConformanceSummary {
  passed: number;
  failed: number;
  skipped: number;
  passRate: number;
  categories: Record<string, { passed: number; failed: number; skipped: number }>;
  outcomes: CaseOutcome[];
}

/** Options for runConformance. */
export interface ConformanceOptions {
  /** Called after each file with the running totals (for progress output). */
  onFile?: (file: string, done: number, total: number) => void;
  /** Per-case wall-time budget in ms (default 5000). */
  caseTimeoutMs?: number;
}

function listYaml(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const full = join(d, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.yaml') || name.endsWith('.yml') || name.endsWith('.json')) out.push(full);
    }
  };
  walk(dir);
  return out;
}

/** Runs every case under dir and returns the summary. */
export function runConformance(dir: string, options: ConformanceOptions = {}): ConformanceSummary {
  const files = listYaml(dir);
  const outcomes: CaseOutcome[] = [];
  files.forEach((file, index) => {
    const rel = relative(dir, file);
    const parts = rel.split(sep);
    const category = parts.length > 1 ? (parts[parts.length - 2] as string) : 'root';
    let doc: { cases?: ConformanceCase[] } | undefined;
    try {
      const text = readFileSync(file, 'utf8');
      doc = parseYaml(text, { intAsBigInt: true, uniqueKeys: false }) as { cases?: ConformanceCase[] };
    } catch (err) {
      outcomes.push({ file: rel, category, note: rel, status: 'failed', reason: `unreadable file: ${String(err)}` });
    }
    // Upstream keeps pre-1.0 syntax cases under a `v0` directory; everything else is Rego v1.
    const regoVersion = file.split(sep).slice(0, -1).includes('v0') ? 'v0' : 'v1';
    for (const c of doc?.cases ?? []) {
      const outcome = runCase(c, options.caseTimeoutMs ?? 5000, regoVersion);
      outcomes.push({ file: rel, category, note: c.note ?? rel, ...outcome });
    }
    options.onFile?.(rel, index + 1, files.length);
  });
  const categories: ConformanceSummary['categories'] = {};
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const o of outcomes) {
    const c = (categories[o.category] ??= { passed: 0, failed: 0, skipped: 0 });
    c[o.status]++;
    if (o.status === 'passed') passed++;
    else if (o.status === 'failed') failed++;
    else skipped++;
  }
  const passRate = passed + failed === 0 ? 0 : Math.floor((passed / (passed + failed)) * 10000) / 10000;
  return { passed, failed, skipped, passRate, categories, outcomes };
}

/** Runs one case: compile, evaluate, then compare error and result set like OPA's testRun. */
export function runCase(
  c: ConformanceCase,
  timeoutMs: number,
  regoVersion: 'v0' | 'v1' = 'v1',
): { status: CaseOutcome['status']; reason?: string } {
  if (c.want_result === undefined && c.want_error === undefined && c.want_error_code === undefined)
    return { status: 'skipped', reason: 'no expectation' };
  if (typeof c.query !== 'string') return { status: 'skipped', reason: 'no query' };
  let policy;
  const build = (version: 'v0' | 'v1'): ReturnType<typeof compile> =>
    compile(
      (c.modules ?? []).map((source, i) => ({ name: `test-${i}.rego`, source, regoVersion: version })),
      { experimentalKeywords: c.experimental_keywords === true },
    );
  try {
    policy = build(regoVersion);
  } catch (err) {
    // Every case's modules compile upstream, so a v1 syntax error outside a `v0` directory means v0 source.
    let retried: ReturnType<typeof compile> | undefined;
    if (regoVersion === 'v1' && err instanceof ParseError) {
      try {
        retried = build('v0');
      } catch {
        retried = undefined;
      }
    }
    if (!retried) return { status: 'failed', reason: `compile: ${err instanceof Error ? err.message : String(err)}` };
    policy = retried;
  }
  let input: Value | undefined;
  try {
    if (typeof c.input_term === 'string') {
      const term = parseTerm(c.input_term);
      input = termToValue(term);
      if (input === undefined) return { status: 'failed', reason: 'input_term is not a constant' };
    } else if (c.input !== undefined) input = fromJS(c.input);
  } catch (err) {
    return { status: 'failed', reason: `input_term: ${String(err)}` };
  }
  let results: Map<string, Value>[] = [];
  let error: RegoError | Error | undefined;
  try {
    const body = policy.prepare(c.query);
    const evaluation = new Evaluation(policy.compiled, {
      input,
      data: c.data === undefined || c.data === null ? undefined : fromJS(c.data),
      budget: { timeoutMs, maxSteps: 50_000_000 },
    });
    try {
      results = evaluation.query(body);
      if (c.strict_error && evaluation.errors.length > 0) error = evaluation.errors[0];
    } catch (err) {
      error = err instanceof Error ? err : new Error(String(err));
      results = [];
    }
  } catch (err) {
    return { status: 'failed', reason: `query: ${err instanceof Error ? err.message : String(err)}` };
  }
  if (c.want_error !== undefined) {
    if (!error) return { status: 'failed', reason: `expected error containing ${JSON.stringify(c.want_error)}` };
    if (!error.message.includes(c.want_error))
      return {
        status: 'failed',
        reason: `error ${JSON.stringify(error.message)} lacks ${JSON.stringify(c.want_error)}`,
      };
  }
  if (c.want_error_code !== undefined) {
    const code = error instanceof RegoError ? error.code : undefined;
    if (code !== c.want_error_code)
      return {
        status: 'failed',
        reason: `expected code ${c.want_error_code}, got ${code ?? 'no error'}${error ? ': ' + error.message : ''}`,
      };
  }
  if (error && c.want_error === undefined && c.want_error_code === undefined)
    return { status: 'failed', reason: `unexpected error: ${error.message}` };
  if (c.want_result !== undefined && c.want_result !== null) {
    const expected = new RegoSet(c.want_result.map((r) => fromJS(r ?? {})));
    const got = new RegoSet(
      results.map((solution) => {
        const o = new RegoObject();
        for (const [k, v] of solution) {
          if (c.ignore_generated_vars && k.startsWith('__localq')) continue;
          let j = jsonRoundTrip(v);
          if (c.sort_bindings) {
            if (!Array.isArray(j)) return new RegoObject([['__error__', 'sort_bindings on non-array']]);
            j = [...j].sort(compareValues);
          }
          o.set(k, j);
        }
        return o;
      }),
    );
    if (!valuesEqual(expected, got))
      return { status: 'failed', reason: `want ${toJSONText(expected)} got ${toJSONText(got)}` };
  }
  return { status: 'passed' };
}

/** ast.JSON then back: sets become sorted arrays, non-string object keys become their JSON text. */
function jsonRoundTrip(v: Value): Value {
  if (Array.isArray(v)) return v.map(jsonRoundTrip);
  if (v instanceof RegoSet) return v.sorted().map(jsonRoundTrip);
  if (v instanceof RegoObject) {
    const out = new RegoObject();
    for (const [k, x] of v.sortedEntries()) out.set(typeof k === 'string' ? k : toJSONText(k), jsonRoundTrip(x));
    return out;
  }
  return v;
}
