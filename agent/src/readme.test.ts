import { readFileSync } from 'node:fs';
import path from 'node:path';
import { configTableMarkdown } from '@isd/kit';
import { agentConfigSchema } from './config';

describe('agent README', () => {
  it('carries the configuration table generated from the schema', () => {
    const readme = readFileSync(path.join(__dirname, '..', 'README.md'), 'utf8');
    expect(readme).toContain(configTableMarkdown(agentConfigSchema, 'ISD_AGENT_'));
  });
});
