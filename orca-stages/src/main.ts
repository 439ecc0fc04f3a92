// CLI: `npm run render -w orca-stages -- [--values file.yml] --out dir` writes orca-local.yml and
// gate-local.yml. The only file of the package that reads process.env/argv.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { renderSpinnakerConfig, writeRenderedConfig } from './render';
import { ConfigSchemaError } from './spinnaker-schemas';
import { resolveValues } from './values';

const usage = 'usage: npm run render -w orca-stages -- [--values file.yml] --out dir';

/** Parses `--values` and `--out`; relative paths are taken from where npm was invoked. */
export function parseRenderArguments(argv: string[], baseDir: string): { valuesFile?: string; outDir: string } {
  let values: { values?: string; out?: string };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { values: { type: 'string' }, out: { type: 'string' } },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    // parseArgs says e.g. "Unknown option '--force'" or "Option '--out <value>' argument missing".
    throw new Error(`${(error as Error).message}\n${usage}`);
  }
  for (const name of ['values', 'out'] as const) {
    const given = values[name];
    if (given === '') throw new Error(`--${name} needs a path\n${usage}`);
  }
  if (!values.out) throw new Error(`--out is required\n${usage}`);
  return {
    valuesFile: values.values === undefined ? undefined : path.resolve(baseDir, values.values),
    outDir: path.resolve(baseDir, values.out),
  };
}

function run(): number {
  try {
    // npm runs workspace scripts inside the workspace; INIT_CWD is where the user typed the command.
    const { valuesFile, outDir } = parseRenderArguments(process.argv.slice(2), process.env.INIT_CWD ?? process.cwd());
    const rendered = renderSpinnakerConfig(resolveValues({ file: valuesFile }));
    for (const file of writeRenderedConfig(rendered, outDir)) process.stdout.write(`wrote ${file}\n`);
    return 0;
  } catch (error) {
    const message = error instanceof ConfigSchemaError ? `invalid config: ${error.message}` : (error as Error).message;
    process.stderr.write(`render: ${message}\n`);
    return 2;
  }
}

if (require.main === module) process.exitCode = run();
