// A folder of policies as `opa test` / `opa eval -d` load it, and OPA-style test reports. Shared by the
// isd-rego command line and services that run a repository's tests.
import { parseJSONText } from './json';
import { RegoObject, type Value } from './value';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { ModuleSource, TestResult } from './policy';
import type { RegoVersion } from './parser';

/** Rego modules and base documents read from files. */
export interface PolicyFiles {
  modules: ModuleSource[];
  /** Base documents: each JSON or YAML file under the path of its folder, like OPA's loader. */
  data: Record<string, unknown>;
}

/** OPA's loader reads every file with these extensions as a base document, whatever its name. */
const DATA_EXTENSIONS = ['.json', '.yaml', '.yml'];

/** Reads every `.rego` file and data file under the given files or folders. */
export function loadPolicyFiles(paths: string[], regoVersion: RegoVersion = 'v1'): PolicyFiles {
  const out: PolicyFiles = { modules: [], data: {} };
  for (const root of paths) {
    const visit = (path: string): void => {
      const stat = statSync(path);
      if (stat.isDirectory()) {
        for (const name of readdirSync(path).sort()) visit(join(path, name));
        return;
      }
      const name = path.split(sep).pop() as string;
      if (name.endsWith('.rego')) out.modules.push({ name: path, source: readFileSync(path, 'utf8'), regoVersion });
      else if (DATA_EXTENSIONS.some((extension) => name.endsWith(extension))) {
        const text = readFileSync(path, 'utf8');
        let doc: unknown;
        try {
          doc = name.endsWith('.json') ? keepingNumberTexts(parseJSONText(text)) : parseYaml(text);
        } catch (err) {
          throw new Error(`${path}: ${(err as Error).message}`);
        }
        const folder = relative(statSync(root).isDirectory() ? root : join(root, '..'), join(path, '..'));
        const prefix = folder === '' ? [] : folder.split(sep);
        mergeAt(out.data, prefix, doc, path);
      }
    };
    visit(root);
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * A parsed JSON document as plain objects and arrays for merging, its numbers still NumberTexts (which
 * valueFromJSON keeps), so `1.0` in data.json stays `1.0` as in OPA.
 */
function keepingNumberTexts(v: Value): unknown {
  if (Array.isArray(v)) return v.map(keepingNumberTexts);
  if (!(v instanceof RegoObject)) return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of v.sortedEntries()) setOwn(out, k as string, keepingNumberTexts(x));
  return out;
}

function mergeAt(target: Record<string, unknown>, prefix: string[], doc: unknown, file: string): void {
  let node = target;
  for (const p of prefix) {
    const next = ownValue(node, p);
    if (next === undefined) setOwn(node, p, {});
    else if (!isPlainObject(next)) throw new Error(`${file}: data at ${prefix.join('.')} conflicts with another file`);
    node = ownValue(node, p) as Record<string, unknown>;
  }
  if (!isPlainObject(doc)) throw new Error(`${file}: the root of a data file must be an object`);
  for (const [k, v] of Object.entries(doc)) {
    const existing = ownValue(node, k);
    if (existing === undefined) setOwn(node, k, v);
    else if (isPlainObject(existing) && isPlainObject(v)) mergeAt(node, [k], v, file);
    else throw new Error(`${file}: data.${[...prefix, k].join('.')} is defined by two files`);
  }
}

// Keys come from data files and folder names: `__proto__` or `constructor` are data, never the prototype's.
function ownValue(node: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(node, key) ? node[key] : undefined;
}

function setOwn(node: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Counts and text of a test run, printed like `opa test`. */
export interface TestReport {
  passed: number;
  failed: number;
  skipped: number;
  text: string;
}

function duration(ns: number | undefined): string {
  if (ns === undefined) return '';
  if (ns < 1e6) return ` (${(ns / 1e3).toFixed(3)}µs)`;
  if (ns < 1e9) return ` (${(ns / 1e6).toFixed(3)}ms)`;
  return ` (${(ns / 1e9).toFixed(3)}s)`;
}

/**
 * Formats results like `opa test`: failures (and with verbose every test) under its file and line, the
 * cases of parameterised tests indented, then PASS/FAIL/SKIPPED counts; each case counts as a test.
 */
export function formatTestReport(
  results: TestResult[],
  skipped: { name: string; location?: { file: string; line: number } }[],
  verbose: boolean,
): TestReport {
  const lines: string[] = [];
  let passed = 0;
  let failed = 0;
  const where = (loc?: { file: string; line: number }): void => {
    if (loc) lines.push(`${loc.file}:${loc.line}:`);
  };
  for (const s of skipped) {
    where(s.location);
    lines.push(`${s.name}: SKIPPED`);
  }
  for (const r of results) {
    const casesPassed = r.cases?.filter((c) => c.passed).length ?? 0;
    if (r.cases && r.cases.length > 0) {
      passed += casesPassed;
      failed += r.cases.length - casesPassed;
    } else if (r.passed) passed++;
    else failed++;
    if (r.passed && !verbose) continue;
    where(r.location);
    lines.push(`${r.name}: ${r.passed ? 'PASS' : 'FAIL'}${duration(r.durationNs)}`);
    for (const c of r.cases ?? []) if (verbose || !c.passed) lines.push(`  ${c.name}: ${c.passed ? 'PASS' : 'FAIL'}`);
    if (!r.passed && verbose && r.error && !r.cases) lines.push(`  ${r.error}`);
  }
  const total = passed + failed + skipped.length;
  lines.push('-'.repeat(80));
  if (passed > 0) lines.push(`PASS: ${passed}/${total}`);
  if (failed > 0) lines.push(`FAIL: ${failed}/${total}`);
  if (skipped.length > 0) lines.push(`SKIPPED: ${skipped.length}/${total}`);
  if (total === 0) lines.push('no tests found');
  return { passed, failed, skipped: skipped.length, text: lines.join('\n') + '\n' };
}
