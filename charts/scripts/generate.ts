// `npm run generate -w charts`: writes values.schema.json (from the services' zod config schemas), the
// Spinnaker profiles (from orca-stages) and the README value tables (from values.yaml `@param` lines).
import fs from 'node:fs';
import path from 'node:path';
import { chartsDir, generatedFiles } from './generated-files';

for (const [file, content] of generatedFiles()) {
  const changed = !fs.existsSync(file) || fs.readFileSync(file, 'utf8') !== content;
  if (changed) fs.writeFileSync(file, content);
  process.stdout.write(`${changed ? 'wrote' : 'unchanged'} ${path.relative(chartsDir, file)}\n`);
}
