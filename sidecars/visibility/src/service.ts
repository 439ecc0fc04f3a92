import path from 'node:path';
import type { ServiceDefinition } from '@isd/kit';
import { visibilityConfigSchema, type VisibilityConfig } from './config';

/** The visibility service: approval gate: waits for approver groups to approve or reject, with evidence. */
export const visibilityService: ServiceDefinition<VisibilityConfig> = {
  name: 'visibility',
  version: '0.1.0',
  description: 'Approval gate: waits for approver groups to approve or reject, with evidence',
  configSchema: visibilityConfigSchema,
  migrationsDir: path.join(__dirname, '..', 'migrations'),
  async setup() {
    // Routes and job handlers arrive with the gate's own issue.
  },
};
