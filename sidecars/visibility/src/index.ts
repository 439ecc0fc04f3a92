export { visibilityConfigSchema } from './config';
export type { VisibilityConfig } from './config';
export { visibilityService } from './service';
