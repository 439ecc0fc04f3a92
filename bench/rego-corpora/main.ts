// `npm run bench:rego-corpora -- KIND=DIR …`: runs public Rego corpora through @isd/rego and the real `opa`
// (`.tools`) and counts where they differ. Nothing is fetched: each DIR is a checkout made beforehand.
//
//   regal=DIR       open-policy-agent/regal: its linter bundle (`bundle/`), every `test_*` rule in both
//   trivy=DIR       aquasecurity/trivy-checks: `checks/` and `lib/`, every `test_*` rule in both
//   gatekeeper=DIR  open-policy-agent/gatekeeper-library: each suite case's `violation` set in both
//   kubescape=DIR   kubescape/regolibrary: each rule's `deny` on each of its test inputs in both
//   tests=DIR       any folder of policies: each outermost folder with `.rego` files is compiled by both
//                   and its `test_*` rules (if any) run in both (conftest, OPA's library, …)
//   bundle=DIR,…    all `.rego` files under the folders as one module set (policies importing a
//                   shared library: trivy-checks' checks and lib), compiled and tested in both
//
// Progress goes to stderr; the last line on stdout is one JSON object with the counts per corpus.
// `--verbose` prints every difference.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import {
  RegoError,
  compile,
  loadPolicyFiles,
  parseJSONText,
  toJSONText,
  valueFromJSON,
  type ModuleSource,
  type RegoObject,
} from '@isd/rego';
import { requireTool } from '@isd/test-support';

const opa = requireTool('opa');
const verbose = process.argv.includes('--verbose');
const progress = (line: string): boolean => process.stderr.write(`${line}\n`);

/** How one engine compiled a module set, and, per test or case, what it gave. */
interface Counts {
  /** Module sets (a bundle, a template with its libraries) … */
  moduleSets: number;
  compiledByBoth: number;
  refusedByBoth: number;
  refusedByOursOnly: number;
  refusedByOpaOnly: number;
  /** Tests or evaluations compared where both compiled. */
  compared: number;
  equal: number;
  different: number;
  /** Of the tests compared, how many pass in opa (a shim's stand-ins make some fail in both). */
  passedInOpa: number;
  /** A few differences, as text. */
  examples: string[];
}

function newCounts(): Counts {
  return {
    moduleSets: 0,
    compiledByBoth: 0,
    refusedByBoth: 0,
    refusedByOursOnly: 0,
    refusedByOpaOnly: 0,
    compared: 0,
    equal: 0,
    different: 0,
    passedInOpa: 0,
    examples: [],
  };
}

function difference(counts: Counts, text: string): void {
  counts.different++;
  if (counts.examples.length < 20) counts.examples.push(text);
  if (verbose) progress(`  DIFF ${text}`);
}

function runOpa(args: string[], cwd?: string): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(opa, args, { encoding: 'utf8', cwd, maxBuffer: 256 * 1024 * 1024 });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

const scratchRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'rego-corpora-'));
process.once('exit', () => fs.rmSync(scratchRoot, { recursive: true, force: true }));

/** A fresh folder under this run's scratch folder, which is removed at exit. */
function scratchDir(prefix: string): string {
  return fs.mkdtempSync(path.join(scratchRoot, `${prefix}-`));
}

function errorText(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0]!.slice(0, 300) : String(err);
}

// ---------------------------------------------------------------------------------------------------------
// Test folders: every `test_*` rule, pass or fail, in both engines.

type TestOutcomes = Map<string, boolean>;

/** OPA's `opa test --format=json` outcome per test name (a name defined twice passes when both pass). */
function opaTests(dir: string, v0: boolean): TestOutcomes | string {
  const r = runOpa(['test', '--format=json', ...(v0 ? ['--v0-compatible'] : []), '.'], dir);
  let report: Array<{ package: string; name: string; fail?: boolean; error?: unknown; skip?: boolean }>;
  try {
    report = JSON.parse(r.stdout) as typeof report;
  } catch {
    return (r.stderr || r.stdout).trim().split('\n').slice(0, 3).join(' ');
  }
  const out: TestOutcomes = new Map();
  for (const t of report) {
    if (t.skip) continue;
    const name = `${t.package}.${t.name}`;
    out.set(name, (out.get(name) ?? true) && !t.fail && t.error === undefined);
  }
  return out;
}

function ourTests(dir: string, v0: boolean): TestOutcomes | string {
  try {
    const files = loadPolicyFiles([dir], v0 ? 'v0' : 'v1');
    const policy = compile(files.modules);
    return new Map(policy.runTests({ data: files.data }).map((t) => [t.name, t.passed]));
  } catch (err) {
    if (err instanceof RegoError || err instanceof Error) return errorText(err);
    throw err;
  }
}

/** Compares the tests of one folder (a module set); `v0` when its modules are pre-1.0 Rego. */
function compareTests(dir: string, label: string, v0: boolean, counts: Counts): void {
  counts.moduleSets++;
  const theirs = opaTests(dir, v0);
  const ours = ourTests(dir, v0);
  if (typeof theirs === 'string' || typeof ours === 'string') {
    if (typeof theirs === 'string' && typeof ours === 'string') {
      counts.refusedByBoth++;
      if (verbose) progress(`  refused by both: ${label}: opa: ${theirs.slice(0, 200)}; ours: ${ours}`);
    } else if (typeof ours === 'string') {
      counts.refusedByOursOnly++;
      difference(counts, `${label}: only we refuse: ${ours}`);
    } else {
      counts.refusedByOpaOnly++;
      difference(counts, `${label}: only opa refuses: ${theirs as string}`);
    }
    return;
  }
  counts.compiledByBoth++;
  for (const name of new Set([...theirs.keys(), ...ours.keys()])) {
    counts.compared++;
    const a = theirs.get(name);
    const b = ours.get(name);
    if (a === true) counts.passedInOpa++;
    if (a === b) counts.equal++;
    else difference(counts, `${label}: ${name}: opa ${describeTest(a)}, ours ${describeTest(b)}`);
  }
}

const describeTest = (passed: boolean | undefined): string =>
  passed === undefined ? 'no such test' : passed ? 'PASS' : 'FAIL';

/** Whether opa refuses the folder as Rego v1 but accepts it as v0. */
function isV0Folder(dir: string): boolean {
  return runOpa(['check', '.'], dir).status !== 0 && runOpa(['check', '--v0-compatible', '.'], dir).status === 0;
}

/** Every outermost folder holding `.rego` files: one module set each, with the files beside and under it. */
function moduleSetFolders(root: string): string[] {
  const found: string[] = [];
  const visit = (dir: string): void => {
    const entries = fs.readdirSync(dir, { withFileTypes: true });
    if (entries.some((e) => e.isFile() && e.name.endsWith('.rego'))) {
      found.push(dir);
      return;
    }
    for (const e of entries) if (e.isDirectory() && !e.name.startsWith('.')) visit(path.join(dir, e.name));
  };
  visit(root);
  return found;
}

/**
 * Copies a folder's `.rego` files and, with `withData`, its data files (what opa and loadPolicyFiles read)
 * to a scratch folder.
 */
function copyPolicies(from: string, to: string, rewrite: (source: string) => string = (s) => s, withData = true): void {
  for (const e of fs.readdirSync(from, { withFileTypes: true })) {
    const src = path.join(from, e.name);
    const dst = path.join(to, e.name);
    if (e.isDirectory()) {
      fs.mkdirSync(dst, { recursive: true });
      copyPolicies(src, dst, rewrite, withData);
    } else if (e.name.endsWith('.rego')) fs.writeFileSync(dst, rewrite(fs.readFileSync(src, 'utf8')));
    else if (withData && /\.(json|ya?ml)$/.test(e.name)) fs.copyFileSync(src, dst);
  }
}

/** One module set of every `.rego` file under the given folders (`DIR,DIR…`): compiled, tests run. */
function runBundle(roots: string): Counts {
  const counts = newCounts();
  const scratch = scratchDir('bundle');
  for (const root of roots.split(',')) {
    const into = path.join(scratch, path.basename(root));
    fs.mkdirSync(into, { recursive: true });
    // Large repositories keep fixtures, not data, in their YAML and JSON files.
    copyPolicies(root, into, undefined, false);
  }
  const label = roots
    .split(',')
    .map((r) => path.basename(r))
    .join('+');
  progress(
    `bundle ${label}: ${countFiles(scratch, '.rego')} modules, ${countFiles(scratch, '_test.rego')} test modules`,
  );
  compareTests(scratch, label, isV0Folder(scratch), counts);
  progress(`bundle ${label}: ${counts.equal}/${counts.compared} tests equal`);
  return counts;
}

function runTestsCorpus(root: string): Counts {
  const counts = newCounts();
  const folders = moduleSetFolders(root);
  folders.forEach((dir, i) => {
    const scratch = scratchDir('tests');
    copyPolicies(dir, scratch);
    const label = path.relative(root, dir) || '.';
    compareTests(scratch, label, isV0Folder(scratch), counts);
    progress(`tests ${i + 1}/${folders.length} ${label}: ${counts.equal}/${counts.compared} equal`);
  });
  return counts;
}

/**
 * A repository whose policies call builtins only its own Go binary registers: both engines get the same
 * stand-ins, calls renamed to Rego functions of `data.corpus_shim` (or to a standard builtin).
 */
interface Shim {
  /** Folders of the repository making up the module set. */
  folders: string[];
  /** Call prefix → its replacement (`regal.last(` → `data.corpus_shim.last(`). */
  calls: Record<string, string>;
  module: string;
  /** Whether the folders' JSON/YAML files are data (else fixtures, left out). */
  withData: boolean;
}

const SHIMS: Record<string, Shim> = {
  // Regal's `regal.parse_module` adds comments and compact locations to OPA's AST, so the tests reading
  // those fail in both engines alike.
  regal: {
    folders: ['bundle'],
    calls: {
      'regal.parse_module(': 'rego.parse_module(',
      'regal.last(': 'data.corpus_shim.last(',
      'regal.is_formatted(': 'data.corpus_shim.is_formatted(',
    },
    module: 'package corpus_shim\n\nlast(array) := array[count(array) - 1]\n\nis_formatted(_, _) := true\n',
    withData: true,
  },
  // Trivy's checks and their library; its result objects carry more than the message in Trivy.
  trivy: {
    folders: ['checks', 'lib'],
    calls: {
      'result.new(': 'data.corpus_shim.result_new(',
      'isManaged(': 'data.corpus_shim.is_managed(',
      'squealer.scan_string(': 'data.corpus_shim.scan_string(',
      'cidr.is_public(': 'data.corpus_shim.cidr_is_public(',
      'cidr.count_addresses(': 'data.corpus_shim.cidr_count_addresses(',
      'sh.parse_commands(': 'data.corpus_shim.parse_commands(',
    },
    module: `package corpus_shim

result_new(msg, cause) := {"msg": msg, "cause": cause}

is_managed(x) if not x.__defsec_metadata.unmanaged

scan_string(s) := {"transgressionFound": contains(lower(s), "secret"), "description": "a secret"}

cidr_is_public(cidr) if not net.cidr_contains("10.0.0.0/8", cidr)

cidr_count_addresses(cidr) := count(net.cidr_expand(cidr))

parse_commands(script) := [split(trim_space(c), " ") | some c in split(script, "&&")]
`,
    withData: false,
  },
};

function runShimmed(kind: string, root: string): Counts {
  const shim = SHIMS[kind] as Shim;
  const counts = newCounts();
  const scratch = scratchDir(kind);
  // A module defining a function of that name itself (at a line's start) keeps its calls.
  const rewrite = (source: string): string =>
    Object.entries(shim.calls).reduce(
      (text, [from, to]) => (text.split('\n').some((line) => line.startsWith(from)) ? text : text.replaceAll(from, to)),
      source,
    );
  for (const folder of shim.folders) {
    fs.mkdirSync(path.join(scratch, folder), { recursive: true });
    copyPolicies(path.join(root, folder), path.join(scratch, folder), rewrite, shim.withData);
  }
  fs.writeFileSync(path.join(scratch, 'corpus_shim.rego'), shim.module);
  progress(`${kind}: ${countFiles(scratch, '.rego')} modules, ${countFiles(scratch, '_test.rego')} test modules`);
  compareTests(scratch, kind, false, counts);
  progress(`${kind}: ${counts.equal}/${counts.compared} tests equal`);
  return counts;
}

function countFiles(dir: string, suffix: string): number {
  let n = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true }))
    if (e.isFile() && e.name.endsWith(suffix)) n++;
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// Gatekeeper: each template's `violation` on each case of its suite, in both engines.

type Json = Record<string, unknown>;
const asObject = (x: unknown): Json => (typeof x === 'object' && x !== null && !Array.isArray(x) ? (x as Json) : {});

interface Suite {
  tests?: Array<{
    template: string;
    constraint: string;
    cases?: Array<{ name: string; object: string; inventory?: string[] }>;
  }>;
}

/** The Rego modules of a ConstraintTemplate: its `rego` and `libs`, legacy or under `code`. */
function templateModules(template: Json): string[] {
  const target = asObject((asObject(template.spec).targets as unknown[] | undefined)?.[0]);
  const sources: Json[] = [target];
  for (const code of (target.code as unknown[] | undefined) ?? []) {
    const c = asObject(code);
    if (c.engine === 'Rego') sources.push(asObject(c.source));
  }
  for (const s of sources) if (typeof s.rego === 'string') return [s.rego, ...((s.libs as string[] | undefined) ?? [])];
  return [];
}

function readYaml(file: string): Json[] {
  return parseAllDocuments(fs.readFileSync(file, 'utf8')).map((d) => asObject(d.toJS()));
}

/** `input.review` as Gatekeeper builds it: an AdmissionReview's request, else a CREATE of the object. */
function review(object: Json): Json {
  if (object.kind === 'AdmissionReview') return asObject(object.request);
  const [group, version] = String(object.apiVersion ?? '').includes('/')
    ? String(object.apiVersion).split('/')
    : ['', String(object.apiVersion ?? '')];
  const metadata = asObject(object.metadata);
  return {
    kind: { group, version, kind: object.kind },
    name: metadata.name,
    ...(metadata.namespace === undefined ? {} : { namespace: metadata.namespace }),
    operation: 'CREATE',
    object,
  };
}

/** `data.inventory` as Gatekeeper's sync builds it from the case's inventory objects. */
function inventory(objects: Json[]): Json {
  const cluster: Json = {};
  const namespace: Json = {};
  const put = (root: Json, keys: string[], value: unknown): void => {
    let node = root;
    for (const k of keys.slice(0, -1)) node = asObject((node[k] ??= {}));
    node[keys.at(-1) as string] = value;
  };
  for (const o of objects) {
    const metadata = asObject(o.metadata);
    const keys = [String(o.apiVersion), String(o.kind), String(metadata.name)];
    if (typeof metadata.namespace === 'string') put(namespace, [metadata.namespace, ...keys], o);
    else put(cluster, keys, o);
  }
  return { inventory: { cluster, namespace } };
}

function packageOf(source: string): string {
  return /^\s*package\s+([\w.]+)/m.exec(source)?.[1] ?? 'unknown';
}

/** The evaluation's JSON text with sorted keys, `undefined`, or `error`. */
function canonical(text: string): string {
  return toJSONText(parseJSONText(text));
}

/**
 * Compiles one module set (pre-1.0 Rego, as Gatekeeper and Kubescape load it) in both engines and, when both
 * compile it, evaluates `query` on each case's input and data in both.
 */
function evaluateCases(
  counts: Counts,
  label: string,
  sources: Array<{ name: string; source: string }>,
  query: string,
  cases: Array<{ name: string; input: unknown; data: Json }>,
): void {
  counts.moduleSets++;
  // The modules and data.json in `policy/`, which opa loads whole; the input beside it.
  const scratch = scratchDir('eval');
  const policyDir = path.join(scratch, 'policy');
  fs.mkdirSync(policyDir);
  sources.forEach((m) => fs.writeFileSync(path.join(policyDir, m.name), m.source));
  const opaAccepts = runOpa(['check', '--v0-compatible', 'policy'], scratch).status === 0;
  let policy: ReturnType<typeof compile> | undefined;
  let ourRefusal = '';
  try {
    policy = compile(sources.map((m): ModuleSource => ({ ...m, regoVersion: 'v0' })));
  } catch (err) {
    ourRefusal = errorText(err);
  }
  if (!opaAccepts || !policy) {
    if (!opaAccepts && !policy) counts.refusedByBoth++;
    else if (!policy) {
      counts.refusedByOursOnly++;
      difference(counts, `${label}: only we refuse: ${ourRefusal}`);
    } else {
      counts.refusedByOpaOnly++;
      difference(counts, `${label}: only opa refuses`);
    }
    return;
  }
  counts.compiledByBoth++;
  for (const c of cases) {
    fs.writeFileSync(path.join(scratch, 'input.json'), JSON.stringify(c.input));
    fs.writeFileSync(path.join(policyDir, 'data.json'), JSON.stringify(c.data));
    const r = runOpa(['eval', '--v0-compatible', '--format=json', '-i', 'input.json', '-d', 'policy', query], scratch);
    const parsed =
      r.status === 0
        ? (JSON.parse(r.stdout) as { result?: Array<{ expressions: Array<{ value: unknown }> }> })
        : undefined;
    const theirs =
      parsed === undefined
        ? 'error'
        : parsed.result === undefined
          ? 'undefined'
          : canonical(JSON.stringify(parsed.result[0]?.expressions[0]?.value));
    let ours: string;
    try {
      const v = policy.evaluateValue(query, {
        input: valueFromJSON(c.input),
        data: valueFromJSON(c.data) as RegoObject,
      });
      ours = v === undefined ? 'undefined' : toJSONText(v);
    } catch {
      ours = 'error';
    }
    counts.compared++;
    if (ours === theirs) counts.equal++;
    else difference(counts, `${label} ${c.name}: opa ${theirs.slice(0, 200)} ours ${ours.slice(0, 200)}`);
  }
}

function runGatekeeper(root: string): Counts {
  const counts = newCounts();
  const suites = fs
    .readdirSync(path.join(root, 'library'), { recursive: true, encoding: 'utf8' })
    .filter((f) => path.basename(f) === 'suite.yaml')
    .sort();
  suites.forEach((suiteFile, i) => {
    const suiteDir = path.join(root, 'library', path.dirname(suiteFile));
    const suite = parseYaml(fs.readFileSync(path.join(suiteDir, 'suite.yaml'), 'utf8')) as Suite;
    for (const test of suite.tests ?? []) {
      const template = readYaml(path.join(suiteDir, test.template))[0] ?? {};
      const sources = templateModules(template);
      if (sources.length === 0) continue;
      const label = path.join(path.dirname(suiteFile), test.template);
      const modules = sources.map((source, n) => ({ name: `m${n}.rego`, source }));
      const constraint = readYaml(path.join(suiteDir, test.constraint))[0] ?? {};
      const parameters = asObject(constraint.spec).parameters ?? {};
      const cases = (test.cases ?? []).map((c) => ({
        name: c.name,
        input: { review: review(readYaml(path.join(suiteDir, c.object))[0] ?? {}), parameters },
        data: inventory((c.inventory ?? []).flatMap((f) => readYaml(path.join(suiteDir, f)))),
      }));
      evaluateCases(counts, label, modules, `data.${packageOf(sources[0] as string)}.violation`, cases);
    }
    progress(
      `gatekeeper ${i + 1}/${suites.length} ${path.dirname(suiteFile)}: ${counts.equal}/${counts.compared} equal`,
    );
  });
  return counts;
}

// ---------------------------------------------------------------------------------------------------------
// Kubescape's regolibrary: each rule's `deny` (raw.rego) on each of its test inputs, in both engines.

/** `data.armo_builtins.deny` of each rule on each of its tests' inputs (the resources as an array). */
function runKubescape(root: string): Counts {
  const counts = newCounts();
  const rulesDir = path.join(root, 'rules');
  const rules = fs.readdirSync(rulesDir).filter((r) => fs.existsSync(path.join(rulesDir, r, 'raw.rego')));
  rules.sort().forEach((rule, i) => {
    const dir = path.join(rulesDir, rule);
    const source = fs.readFileSync(path.join(dir, 'raw.rego'), 'utf8');
    evaluateCases(
      counts,
      rule,
      [{ name: 'raw.rego', source }],
      `data.${packageOf(source)}.deny`,
      casesOf(path.join(dir, 'test')),
    );
    if ((i + 1) % 50 === 0 || i + 1 === rules.length)
      progress(`kubescape ${i + 1}/${rules.length}: ${counts.equal}/${counts.compared} equal`);
  });
  return counts;
}

/** Each test folder's input files (YAML streams included) as one array, and its data.json. */
function casesOf(testDir: string): Array<{ name: string; input: unknown; data: Json }> {
  if (!fs.existsSync(testDir)) return [];
  return fs
    .readdirSync(testDir)
    .sort()
    .filter((name) => fs.existsSync(path.join(testDir, name, 'input')))
    .map((name) => {
      const inputDir = path.join(testDir, name, 'input');
      const input = fs
        .readdirSync(inputDir)
        .sort()
        .filter((f) => /\.(json|ya?ml)$/.test(f))
        .flatMap((f) => readYaml(path.join(inputDir, f)));
      const dataFile = path.join(testDir, name, 'data.json');
      const data = fs.existsSync(dataFile) ? asObject(JSON.parse(fs.readFileSync(dataFile, 'utf8'))) : {};
      return { name, input, data };
    });
}

// ---------------------------------------------------------------------------------------------------------

const runners: Record<string, (dir: string) => Counts> = {
  regal: (dir) => runShimmed('regal', dir),
  trivy: (dir) => runShimmed('trivy', dir),
  kubescape: runKubescape,
  gatekeeper: runGatekeeper,
  tests: runTestsCorpus,
  bundle: runBundle,
};

function main(): void {
  const corpora = process.argv.slice(2).filter((a) => a !== '--verbose');
  if (
    corpora.length === 0 ||
    corpora.some((a) => !/^\w+=/.test(a) || !Object.hasOwn(runners, a.slice(0, a.indexOf('='))))
  ) {
    process.stderr.write(`usage: main.ts [--verbose] ${Object.keys(runners).join('|')}=DIR …\n`);
    process.exit(1);
  }
  const started = Date.now();
  const results: Record<string, Counts> = {};
  for (const arg of corpora) {
    const [kind, dir] = [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)];
    for (const d of dir.split(',')) if (!fs.existsSync(d)) throw new Error(`${kind}: ${d} does not exist`);
    const name = dir
      .split(',')
      .map((d) => path.basename(path.resolve(d)))
      .join('+');
    results[`${kind}:${name}`] = (runners[kind] as (d: string) => Counts)(dir);
  }
  process.stdout.write(`${JSON.stringify({ corpora: results, seconds: Math.round((Date.now() - started) / 1000) })}\n`);
}

main();
