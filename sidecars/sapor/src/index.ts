export { saporConfigSchema } from './config';
export type { SaporConfig } from './config';
export { saporService } from './service';
