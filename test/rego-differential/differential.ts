// Runs generated programs through our engine and through a real `opa run --server` (one process, its
// REST API on loopback), and reports every difference in result, error class or undefined-ness with a
// minimal reproducer.
import { spawn, type ChildProcess } from 'node:child_process';
import { compile, parseJSONText, RegoError, toJSONText, valueFromJSON, type RegoObject } from '@isd/rego';
import { eventually, freePort, requireTool } from '@isd/test-support';
import { generateProgram, moduleText, type Program } from './generator';

/** What evaluating a program's package gave: a JSON value, undefined, or an error class. */
export type Outcome =
  | { kind: 'value'; json: string }
  | { kind: 'undefined' }
  | { kind: 'error'; code: string; message: string }
  /** OPA's compiler refused the module. */
  | { kind: 'rejected'; code: string; message: string };

/** One error of OPA's REST API refusing a module; a type error's `details` has the argument types. */
export interface OpaCompileError {
  code: string;
  message: string;
  details?: { have?: unknown[]; want?: unknown };
}

/** A real OPA server on a loopback port. */
export class OpaServer {
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {}

  /** `v0Compatible` parses every module as pre-1.0 Rego (`opa run --v0-compatible`). */
  static async start(options: { v0Compatible?: boolean } = {}): Promise<OpaServer> {
    const opa = requireTool('opa');
    const port = await freePort();
    const args = ['run', '--server', '--addr', `127.0.0.1:${port}`, '--log-level', 'error'];
    if (options.v0Compatible) args.push('--v0-compatible');
    const child = spawn(opa, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    const server = new OpaServer(child, `http://127.0.0.1:${port}`);
    await eventually(
      async () => ((await fetch(`${server.url}/health`).catch(() => undefined))?.ok ? true : undefined),
      30_000,
      'opa server health',
    );
    return server;
  }

  /** Loads the module, reads its package with the input, and removes the module again. */
  async evaluate(p: Program): Promise<Outcome> {
    const [outcome] = await this.evaluateModules(
      [{ name: p.pkg, source: moduleText(p) }],
      [{ path: p.pkg.split('.'), input: p.input }],
    );
    return outcome as Outcome;
  }

  /**
   * Loads the modules, reads each document (`path` segments under `data`) with its input, and removes the
   * modules again. When OPA refuses a module, every outcome is that `rejected`.
   */
  async evaluateModules(
    modules: Array<{ name: string; source: string }>,
    reads: Array<{ path: string[]; input: unknown; strictBuiltinErrors?: boolean }>,
  ): Promise<Outcome[]> {
    const loaded: string[] = [];
    try {
      for (const module of modules) {
        const id = encodeURIComponent(module.name);
        const put = await fetch(`${this.url}/v1/policies/${id}`, { method: 'PUT', body: module.source });
        if (!put.ok) {
          const outcome = errorOutcome(await put.json());
          const rejected: Outcome =
            outcome.kind === 'error' ? { kind: 'rejected', code: outcome.code, message: outcome.message } : outcome;
          return reads.map(() => rejected);
        }
        loaded.push(id);
      }
      const outcomes: Outcome[] = [];
      for (const read of reads) {
        const query = read.strictBuiltinErrors ? '?strict-builtin-errors=true' : '';
        const res = await fetch(`${this.url}/v1/data/${read.path.map(encodeURIComponent).join('/')}${query}`, {
          method: 'POST',
          signal: AbortSignal.timeout(30_000),
          headers: { 'content-type': 'application/json' },
          body: read.input === undefined ? '{}' : `{"input":${inputText(read.input)}}`,
        });
        // Read with the numbers' texts: OPA answers `1.0`, `3e-07` or 30 digits as it holds them.
        const text = await res.text();
        const result = res.ok ? (parseJSONText(text) as RegoObject).get('result') : undefined;
        if (!res.ok) outcomes.push(errorOutcome(JSON.parse(text)));
        else if (result === undefined) outcomes.push({ kind: 'undefined' });
        else outcomes.push({ kind: 'value', json: canonical(toJSONText(result)) });
      }
      return outcomes;
    } finally {
      for (const id of loaded) await fetch(`${this.url}/v1/policies/${id}`, { method: 'DELETE' });
    }
  }

  /** Loads a module and removes it again: OPA's compile errors when it refuses the module, else undefined. */
  async check(name: string, source: string): Promise<OpaCompileError[] | undefined> {
    const id = encodeURIComponent(name);
    const put = await fetch(`${this.url}/v1/policies/${id}`, { method: 'PUT', body: source });
    if (!put.ok) {
      const body = (await put.json()) as { code?: string; message?: string; errors?: OpaCompileError[] };
      return body.errors ?? [{ code: body.code ?? 'opa_error', message: body.message ?? '' }];
    }
    await put.arrayBuffer();
    await fetch(`${this.url}/v1/policies/${id}`, { method: 'DELETE' });
    return undefined;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }
}

function errorOutcome(body: unknown): Outcome {
  const text = JSON.stringify(body);
  const code = /\b((?:rego|eval)_[a-z_]+)\b/.exec(text)?.[1] ?? 'opa_error';
  return { kind: 'error', code, message: text.slice(0, 300) };
}

/**
 * JSON text with object keys sorted and every number as written (`1.0`, `3e-07`, all digits of a big
 * integer): the same value held the same way prints the same.
 */
export function canonical(jsonText: string): string {
  return toJSONText(parseJSONText(jsonText));
}

/** An input (plain JSON data, possibly holding NumberTexts) as JSON text, the numbers' texts kept. */
export function inputText(input: unknown): string {
  return toJSONText(valueFromJSON(input));
}

/** Our engine on the same program. */
export function ourOutcome(p: Program): Outcome {
  try {
    const policy = compile([{ name: `${p.pkg}.rego`, source: moduleText(p) }]);
    // The input goes through JSON text, as a service receives it.
    const input = parseJSONText(inputText(p.input));
    const v = policy.evaluateValue(`data.${p.pkg}`, { input, budget: { timeoutMs: 10_000 } });
    if (v === undefined) return { kind: 'undefined' };
    return { kind: 'value', json: canonical(toJSONText(v)) };
  } catch (err) {
    if (err instanceof RegoError) return { kind: 'error', code: err.code, message: err.message };
    throw err;
  }
}

export function sameOutcome(a: Outcome, b: Outcome): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === 'value' && b.kind === 'value') return a.json === b.json;
  if (a.kind === 'error' && b.kind === 'error') return a.code === b.code;
  return true;
}

/** One difference, with the smallest program (fewest rules, fewest input fields) that still shows it. */
export interface Difference {
  index: number;
  reproducer: string;
  input: string;
  ours: Outcome;
  opa: Outcome;
}

async function differs(
  opa: OpaServer,
  p: Program,
): Promise<{ ours: Outcome; theirs: Outcome } | 'invalid' | undefined> {
  const theirs = await opa.evaluate(p);
  const ours = ourOutcome(p);
  if (theirs.kind === 'rejected') {
    // Our compiler is less strict than OPA's (no static type checker, fewer safety quirks; see
    // sidecars/rego/README.md): a module only OPA refuses is not a valid program to compare. When both
    // refuse it, the error class must match.
    if (ours.kind !== 'error' || !/^rego_/.test(ours.code)) return 'invalid';
    return ours.code === theirs.code ? undefined : { ours, theirs };
  }
  return sameOutcome(ours, theirs) ? undefined : { ours, theirs };
}

async function stillDiffers(opa: OpaServer, p: Program): Promise<boolean> {
  const d = await differs(opa, p);
  return d !== undefined && d !== 'invalid';
}

/** Drops rules and input fields one at a time while the difference remains. */
async function minimise(opa: OpaServer, p: Program): Promise<Program> {
  let current = p;
  for (let i = current.rules.length - 1; i >= 0 && current.rules.length > 1; i--) {
    const candidate = { ...current, rules: current.rules.filter((_, j) => j !== i) };
    // A rule later rules depend on cannot go; the candidate then fails to compile differently, or not.
    if (await stillDiffers(opa, candidate)) current = candidate;
  }
  for (const key of Object.keys(current.input)) {
    const rest = { ...current.input };
    delete rest[key];
    const candidate = { ...current, input: rest };
    if (await stillDiffers(opa, candidate)) current = candidate;
  }
  return current;
}

/** Runs programs seed/0, seed/1, … until `count` are done or `deadline` (ms since epoch) passes. */
export async function runDifferential(
  opa: OpaServer,
  options: { seed: number; count?: number; deadline?: number; onProgress?: (done: number) => void },
): Promise<{ programs: number; invalid: number; differences: Difference[] }> {
  const differences: Difference[] = [];
  let invalid = 0;
  let index = 0;
  for (; ; index++) {
    if (options.count !== undefined && index >= options.count) break;
    if (options.deadline !== undefined && Date.now() >= options.deadline) break;
    const program = generateProgram(options.seed, index);
    const found = await differs(opa, program);
    if (found === 'invalid') invalid++;
    else if (found) {
      const small = await minimise(opa, program);
      const rerun = await differs(opa, small);
      const again = rerun && rerun !== 'invalid' ? rerun : found;
      differences.push({
        index,
        reproducer: moduleText(small),
        input: inputText(small.input),
        ours: again.ours,
        opa: again.theirs,
      });
    }
    if (index % 100 === 0) options.onProgress?.(index);
  }
  return { programs: index, invalid, differences };
}

/** A difference as text a developer can paste into `opa eval`. */
export function describeDifference(d: Difference): string {
  const show = (o: Outcome): string =>
    o.kind === 'value' ? o.json : o.kind === 'undefined' ? 'undefined' : `${o.code}: ${o.message}`;
  return `program #${d.index}\n--- module\n${d.reproducer}--- input\n${d.input}\n--- ours: ${show(d.ours)}\n--- opa:  ${show(d.opa)}\n`;
}
