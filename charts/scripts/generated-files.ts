// Every file in charts/ that is generated from another source of truth, with its expected content.
// `npm run generate -w charts` writes them; the tests fail when a committed file differs.
import fs from 'node:fs';
import path from 'node:path';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { replaceValuesTable, valueParamsTable } from '../src/values-docs';
import { buildAgentValuesSchema, buildIsdValuesSchema } from './values-schema';

/** Root of the charts workspace. */
export const chartsDir = path.resolve(__dirname, '..');

/** Path → expected content of every generated file. */
export function generatedFiles(): Map<string, string> {
  const files = new Map<string, string>();
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  files.set(path.join(chartsDir, 'isd', 'values.schema.json'), json(buildIsdValuesSchema()));
  files.set(path.join(chartsDir, 'isd-agent', 'values.schema.json'), json(buildAgentValuesSchema()));
  const spinnakerDir = path.join(chartsDir, 'isd', 'files', 'spinnaker');
  const rendered = renderSpinnakerConfig(resolveValues({ file: path.join(spinnakerDir, 'render-values.yml') }));
  for (const [name, text] of Object.entries(rendered.files)) files.set(path.join(spinnakerDir, name), text);
  for (const chart of ['isd', 'isd-agent']) {
    const readme = path.join(chartsDir, chart, 'README.md');
    const values = fs.readFileSync(path.join(chartsDir, chart, 'values.yaml'), 'utf8');
    files.set(readme, replaceValuesTable(fs.readFileSync(readme, 'utf8'), valueParamsTable(values)));
  }
  return files;
}
