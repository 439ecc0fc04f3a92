// Regenerates the configuration tables in the READMEs from the zod schemas; `--check` only reports
// (exit 1) when a table is out of date. A README marks its table with <!-- config:begin --> / <!-- config:end -->.
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import type { z } from 'zod';
import { baseConfigSchema, configTableMarkdown, envPrefixFor } from '@isd/kit';
import { agentConfigSchema } from '@isd/agent/config';
import { controllerConfigSchema } from '@isd/controller/config';
import { autopilotConfigSchema } from '@isd/autopilot/config';
import { saporConfigSchema } from '@isd/sapor/config';
import { visibilityConfigSchema } from '@isd/visibility/config';

interface Target {
  readme: string;
  /** Prefix of the environment overrides, e.g. `VISIBILITY_`. */
  envPrefix: string;
  schema: () => z.ZodType;
}

const root = path.resolve(__dirname, '..');
const sharedSchema = () => baseConfigSchema({ name: 'visibility', port: 8096 });

const targets: Target[] = [
  { readme: 'README.md', envPrefix: envPrefixFor('visibility'), schema: sharedSchema },
  { readme: 'sidecars/kit/README.md', envPrefix: envPrefixFor('visibility'), schema: sharedSchema },
  {
    readme: 'sidecars/visibility/README.md',
    envPrefix: envPrefixFor('visibility'),
    schema: () => visibilityConfigSchema,
  },
  {
    readme: 'sidecars/autopilot/README.md',
    envPrefix: envPrefixFor('autopilot'),
    schema: () => autopilotConfigSchema,
  },
  {
    readme: 'sidecars/sapor/README.md',
    envPrefix: envPrefixFor('sapor'),
    schema: () => saporConfigSchema,
  },
  { readme: 'agent/README.md', envPrefix: 'ISD_AGENT_', schema: () => agentConfigSchema },
  { readme: 'controller/README.md', envPrefix: 'ISD_CONTROLLER_', schema: () => controllerConfigSchema },
];

async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const pattern = /(<!-- config:begin -->\n)[\s\S]*?(<!-- config:end -->)/;
  let stale = 0;
  for (const target of targets) {
    const file = path.join(root, target.readme);
    if (!fs.existsSync(file)) {
      process.stderr.write(`${target.readme}: missing\n`);
      stale++;
      continue;
    }
    const text = fs.readFileSync(file, 'utf8');
    if (!pattern.test(text)) {
      process.stderr.write(`${target.readme}: no <!-- config:begin --> / <!-- config:end --> markers\n`);
      stale++;
      continue;
    }
    const table = configTableMarkdown(target.schema(), target.envPrefix);
    // Formatted as prettier would, so `npm run lint` and this check agree on the same bytes.
    const options = (await prettier.resolveConfig(file)) ?? {};
    const updated = await prettier.format(text.replace(pattern, `$1${table}\n$2`), { ...options, filepath: file });
    if (updated === text) continue;
    if (check) {
      process.stderr.write(`${target.readme}: configuration table is out of date: run npm run docs:config\n`);
      stale++;
    } else {
      fs.writeFileSync(file, updated);
      process.stdout.write(`${target.readme}: configuration table updated\n`);
    }
  }
  if (stale) process.exit(1);
}

void main();
