import { baseConfigSchema } from '@isd/kit';
import type { z } from 'zod';

/** Autopilot's configuration: the kit's shared sections plus its own. */
export const autopilotConfigSchema = baseConfigSchema({ name: 'autopilot', port: 8090 });

/** Validated configuration of the autopilot service. */
export type AutopilotConfig = z.infer<typeof autopilotConfigSchema>;
