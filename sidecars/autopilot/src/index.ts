export { autopilotConfigSchema } from './config';
export type { AutopilotConfig } from './config';
export { autopilotService } from './service';
