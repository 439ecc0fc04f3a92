// The isd-rego command line: `test`, `eval` and `check` on a folder of policies, like opa's commands.
import { parseJSONText, stringifyJSON } from './json';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { RegoError } from './errors';
import { compile, type CompiledPolicy } from './policy';
import { formatTestReport, loadPolicyFiles, type PolicyFiles } from './repository';

const USAGE = `usage:
  isd-rego test [--v0-compatible] [-v] [-r REGEX] PATH...   run every test_* rule (exit 2 when one fails)
  isd-rego eval [-d PATH]... [-i input.json] [--v0-compatible] QUERY
  isd-rego check [--v0-compatible] PATH...                  parse and compile, report errors
`;

/** Output streams, replaceable in tests. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const stdio: Io = { out: (t) => process.stdout.write(t), err: (t) => process.stderr.write(t) };

/** Runs one command; returns the exit code (0 ok, 1 error, 2 failing tests). */
export function main(argv: string[], io: Io = stdio): number {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'test':
        return testCommand(rest, io);
      case 'eval':
        return evalCommand(rest, io);
      case 'check':
        return checkCommand(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE);
        return command === undefined ? 1 : 0;
      default:
        io.err(`unknown command ${JSON.stringify(command)}\n${USAGE}`);
        return 1;
    }
  } catch (err) {
    // Usage mistakes (unknown flags, missing arguments) and unreadable files.
    io.err(`${err instanceof Error ? err.message : String(err)}\n`);
    return 1;
  }
}

function load(paths: string[], v0: boolean, io: Io): { files: PolicyFiles; policy: CompiledPolicy } | undefined {
  const files = loadPolicyFiles(paths, v0 ? 'v0' : 'v1');
  try {
    return { files, policy: compile(files.modules) };
  } catch (err) {
    if (!(err instanceof RegoError)) throw err;
    io.err(`1 error occurred: ${err.message}\n`);
    return undefined;
  }
}

function testCommand(argv: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      'v0-compatible': { type: 'boolean', default: false },
      verbose: { type: 'boolean', short: 'v', default: false },
      run: { type: 'string', short: 'r' },
    },
  });
  if (positionals.length === 0) throw new Error(`test: give a folder or .rego file\n${USAGE}`);
  const loaded = load(positionals, values['v0-compatible'] === true, io);
  if (!loaded) return 1;
  const { policy, files } = loaded;
  let filter: RegExp | undefined;
  if (values.run !== undefined) {
    try {
      filter = new RegExp(values.run);
    } catch (err) {
      throw new Error(`test: --run: ${(err as Error).message}`);
    }
  }
  const selected = (name: string): boolean => !filter || filter.test(name);
  const results = policy.runTests({ data: files.data }).filter((r) => selected(r.name));
  const skipped = policy
    .testNames('todo_test_')
    .filter(selected)
    .map((name) => ({ name, location: policy.ruleLocation(name) }));
  const report = formatTestReport(results, skipped, values.verbose === true);
  io.out(report.text);
  return report.failed > 0 ? 2 : 0;
}

function evalCommand(argv: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      data: { type: 'string', short: 'd', multiple: true, default: [] },
      input: { type: 'string', short: 'i' },
      'v0-compatible': { type: 'boolean', default: false },
    },
  });
  if (positionals.length !== 1) throw new Error(`eval: give exactly one query\n${USAGE}`);
  const query = positionals[0] as string;
  const loaded = load(values.data ?? [], values['v0-compatible'] === true, io);
  if (!loaded) return 1;
  let input: unknown;
  if (values.input !== undefined) {
    const text = readFileSync(values.input, 'utf8');
    try {
      input = values.input.endsWith('.yaml') || values.input.endsWith('.yml') ? parseYaml(text) : parseJSONText(text);
    } catch (err) {
      throw new Error(`eval: --input ${values.input}: ${(err as Error).message}`);
    }
  }
  try {
    const out = loaded.policy.evalQuery(query, { input, data: loaded.files.data });
    // Values are Rego values, written with their numbers' texts (`1e400`, 30 digits, `1.0`) as opa prints them.
    const result = out.results.map((solution, i) => ({
      expressions: (out.expressions[i] ?? []).map((value, j) => {
        const at = out.texts[j];
        return { value, text: at?.text ?? query, location: { row: at?.row ?? 1, col: at?.col ?? 1 } };
      }),
      ...(solution.size > 0 ? { bindings: Object.fromEntries(solution) } : {}),
    }));
    io.out(stringifyJSON(result.length > 0 ? { result } : {}, 2) + '\n');
    return 0;
  } catch (err) {
    if (!(err instanceof RegoError)) throw err;
    io.out(
      JSON.stringify({ errors: [{ message: err.message, code: err.code, location: err.location }] }, null, 2) + '\n',
    );
    return 1;
  }
}

function checkCommand(argv: string[], io: Io): number {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { 'v0-compatible': { type: 'boolean', default: false } },
  });
  if (positionals.length === 0) throw new Error(`check: give a folder or .rego file\n${USAGE}`);
  return load(positionals, values['v0-compatible'] === true, io) ? 0 : 1;
}
