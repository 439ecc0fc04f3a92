// `npm run render -w charts -- <isd|isd-agent> [-f values.yaml]... [--name NAME] [--namespace NS]`: prints what
// `helm template` would, using the template-subset renderer (no helm binary needed).
import path from 'node:path';
import YAML from 'yaml';
import { readYamlMapping, renderChart } from '../src/chart-renderer';

const argv = process.argv.slice(2);
const chart = argv.shift();
if (!chart) {
  process.stderr.write(
    'usage: npm run render -w charts -- <isd|isd-agent> [-f values.yaml]... [--name NAME] [--namespace NS]\n',
  );
  process.exit(2);
}
const overrides: unknown[] = [];
let name: string | undefined;
let namespace: string | undefined;
for (let index = 0; index < argv.length; index += 2) {
  const flag = argv[index];
  const value = argv[index + 1];
  if (value === undefined) throw new Error(`${flag} needs a value`);
  if (flag === '-f') overrides.push(readYamlMapping(path.resolve(process.env.INIT_CWD ?? process.cwd(), value)));
  else if (flag === '--name') name = value;
  else if (flag === '--namespace') namespace = value;
  else throw new Error(`unknown argument ${flag}`);
}
const rendered = renderChart(path.join(__dirname, '..', chart), overrides, { name, namespace });
for (const { source, object } of rendered.objects)
  process.stdout.write(`---\n# Source: ${source}\n${YAML.stringify(object)}`);
process.stderr.write(rendered.notes);
