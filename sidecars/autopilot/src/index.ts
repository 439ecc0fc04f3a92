export { autopilotConfigSchema } from './config';
export type { AutopilotConfig } from './config';
export { autopilotService } from './service';
// The verification domain (statistics, judges, scoring) is part of the public surface.
export * from './domain';
