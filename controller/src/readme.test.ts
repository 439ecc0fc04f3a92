import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from '@isd/kit';
import { controllerConfigSchema } from './config';

/** Markdown tables compared cell by cell, so Prettier's column alignment does not matter. */
function tableRows(markdown: string): string[] {
  return markdown
    .split('\n')
    .filter((line) => line.trim().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim().replace(/^-+$/, '---'))
        .join('|'),
    );
}

describe('controller README', () => {
  it('carries the configuration table generated from the schema', () => {
    const readme = tableRows(readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')).join('\n');
    expect(readme).toContain(tableRows(configTableMarkdown(controllerConfigSchema, 'ISD_CONTROLLER_')).join('\n'));
  });
});
