// `npm run generate -w charts`: writes values.schema.json (from the services' zod config schemas), the
// Spinnaker profiles (from orca-stages) and the README value tables (from values.yaml `@param` lines).
// With `--check` it writes nothing and exits 1 naming the files that are out of date (the drift test).
import fs from 'node:fs';
import path from 'node:path';
import { chartsDir, generatedFiles } from './generated-files';

async function main(): Promise<number> {
  const check = process.argv.includes('--check');
  const stale: string[] = [];
  for (const [file, content] of await generatedFiles()) {
    const name = path.relative(chartsDir, file);
    const changed = !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content;
    if (check) {
      if (changed) stale.push(name);
      continue;
    }
    if (changed) fs.writeFileSync(file, content);
    process.stdout.write(`${changed ? 'wrote' : 'unchanged'} ${name}\n`);
  }
  if (check) {
    process.stdout.write(stale.length ? `out of date: ${stale.join(', ')}\n` : 'all generated files are up to date\n');
    return stale.length ? 1 : 0;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`generate: ${(error as Error).stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
