// Regenerates the configuration tables in the READMEs from the zod schemas (`--check` fails if stale).
// Each README marks its table with <!-- config:begin --> and <!-- config:end -->.
import fs from 'node:fs';
import path from 'node:path';
import { configTableMarkdown, envPrefixFor } from '@isd/kit';
import { configDocTargets } from './config-doc-targets';

const root = path.resolve(__dirname, '..');
const check = process.argv.includes('--check');
let stale = 0;
for (const target of configDocTargets()) {
  const file = path.join(root, target.readme);
  const text = fs.readFileSync(file, 'utf8');
  const table = configTableMarkdown(target.schema, envPrefixFor(target.name));
  const pattern = /(<!-- config:begin -->\n)[\s\S]*?(\n<!-- config:end -->)/;
  if (!pattern.test(text)) throw new Error(`${target.readme} has no <!-- config:begin --> / <!-- config:end --> markers`);
  const updated = text.replace(pattern, `$1${table}$2`);
  if (updated === text) continue;
  stale++;
  if (check) process.stderr.write(`${target.readme}: configuration table is out of date (run npm run docs:config)\n`);
  else fs.writeFileSync(file, updated);
}
if (check && stale) process.exit(1);
