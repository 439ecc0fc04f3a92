import path from 'node:path';
import type { ServiceDefinition } from '@isd/kit';
import { autopilotConfigSchema, type AutopilotConfig } from './config';

/** The autopilot service: verification gate: compares a canary against a baseline from metrics and logs. */
export const autopilotService: ServiceDefinition<AutopilotConfig> = {
  name: 'autopilot',
  version: '0.1.0',
  description: 'Verification gate: compares a canary against a baseline from metrics and logs',
  configSchema: autopilotConfigSchema,
  migrationsDir: path.join(__dirname, '..', 'migrations'),
  async setup() {
    // Routes and job handlers arrive with the gate's own issue.
  },
};
