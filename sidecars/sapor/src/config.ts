import { baseConfigSchema } from '@isd/kit';
import type { z } from 'zod';

/** Sapor's configuration: the kit's shared sections plus its own. */
export const saporConfigSchema = baseConfigSchema({ name: 'sapor', port: 8085 });

/** Validated configuration of the sapor service. */
export type SaporConfig = z.infer<typeof saporConfigSchema>;
