// Every file in charts/ that is generated from another source of truth, with its expected content
// (formatted by prettier, as the repository's `prettier --check` expects). `npm run generate -w charts`
// writes them; the tests fail when a committed file differs.
import fs from 'node:fs';
import path from 'node:path';
import prettier from 'prettier';
import { renderSpinnakerConfig, resolveValues } from '@isd/orca-stages';
import { replaceValuesTable, valueParamsTable } from '../src/values-docs';
import { buildAgentValuesSchema, buildIsdValuesSchema } from './values-schema';

/** Root of the charts workspace. */
export const chartsDir = path.resolve(__dirname, '..');

/** Path → expected content of every generated file. */
export async function generatedFiles(): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  files.set(path.join(chartsDir, 'isd', 'values.schema.json'), JSON.stringify(buildIsdValuesSchema()));
  files.set(path.join(chartsDir, 'isd-agent', 'values.schema.json'), JSON.stringify(buildAgentValuesSchema()));
  const spinnakerDir = path.join(chartsDir, 'isd', 'files', 'spinnaker');
  const rendered = renderSpinnakerConfig(resolveValues({ file: path.join(spinnakerDir, 'render-values.yml') }));
  for (const [name, text] of Object.entries(rendered.files)) files.set(path.join(spinnakerDir, name), text);
  for (const chart of ['isd', 'isd-agent']) {
    const readme = path.join(chartsDir, chart, 'README.md');
    const values = fs.readFileSync(path.join(chartsDir, chart, 'values.yaml'), 'utf8');
    files.set(readme, replaceValuesTable(fs.readFileSync(readme, 'utf8'), valueParamsTable(values)));
  }
  const formatted = new Map<string, string>();
  for (const [file, content] of files) {
    const options = await prettier.resolveConfig(file);
    formatted.set(file, await prettier.format(content, { ...options, filepath: file }));
  }
  return formatted;
}
