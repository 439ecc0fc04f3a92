import path from 'node:path';
import type { ServiceDefinition } from '@isd/kit';
import { saporConfigSchema, type SaporConfig } from './config';

/** The sapor service: policy gate: evaluates deployments against Rego policies; Spinnaker connector. */
export const saporService: ServiceDefinition<SaporConfig> = {
  name: 'sapor',
  version: '0.1.0',
  description: 'Policy gate: evaluates deployments against Rego policies; Spinnaker connector',
  configSchema: saporConfigSchema,
  migrationsDir: path.join(__dirname, '..', 'migrations'),
  async setup() {
    // Routes and job handlers arrive with the gate's own issue.
  },
};
