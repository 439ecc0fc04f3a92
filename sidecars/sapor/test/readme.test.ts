// The README's configuration table is the one generated from the zod schema.
import fs from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from '@isd/kit';
import { saporConfigSchema } from '../src';

/** Table rows as trimmed cells, so prettier's column alignment does not matter. */
function cells(table: string | undefined): string[][] {
  return (table ?? '')
    .trim()
    .split('\n')
    .map((line) => line.split('|').map((cell) => cell.trim().replace(/^-+$/, '-')));
}

it('README config table matches the schema (run npm run docs:config to regenerate)', () => {
  const readme = fs.readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
  const table = /<!-- config:begin -->\n([\s\S]*?)\n<!-- config:end -->/.exec(readme)?.[1];
  expect(cells(table)).toEqual(cells(configTableMarkdown(saporConfigSchema, 'SAPOR_')));
});
