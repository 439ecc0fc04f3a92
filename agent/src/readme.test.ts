import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from '@isd/kit';
import { agentConfigSchema } from './config';

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

describe('agent README', () => {
  it('carries the configuration table generated from the schema', () => {
    const readme = tableRows(readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8')).join('\n');
    expect(readme).toContain(tableRows(configTableMarkdown(agentConfigSchema, 'ISD_AGENT_')).join('\n'));
  });
});
