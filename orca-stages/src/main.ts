// CLI: `npm run render -w orca-stages -- [--values file.yml] --out dir` writes orca-local.yml and
// gate-local.yml. The only file of the package that reads process.env/argv.
import path from 'node:path';
import { renderSpinnakerConfig, writeRenderedConfig } from './render';
import { ConfigSchemaError } from './spinnaker-schemas';
import { resolveValues } from './values';

const usage = 'usage: npm run render -w orca-stages -- [--values file.yml] --out dir';

/** Parses `--values` and `--out`; relative paths are taken from where npm was invoked. */
export function parseRenderArguments(argv: string[], baseDir: string): { valuesFile?: string; outDir: string } {
  let valuesFile: string | undefined;
  let outDir: string | undefined;
  for (let index = 0; index < argv.length; index += 1) {
    const argument = argv[index];
    const next = argv[index + 1];
    if ((argument === '--values' || argument === '--out') && (next === undefined || next.startsWith('--'))) {
      throw new Error(`${argument} needs a path\n${usage}`);
    }
    if (argument === '--values') valuesFile = path.resolve(baseDir, next as string);
    else if (argument === '--out') outDir = path.resolve(baseDir, next as string);
    else throw new Error(`unknown argument ${argument}\n${usage}`);
    index += 1;
  }
  if (!outDir) throw new Error(`--out is required\n${usage}`);
  return { valuesFile, outDir };
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
