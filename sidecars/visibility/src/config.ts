import { baseConfigSchema } from '@isd/kit';
import type { z } from 'zod';

/** Visibility's configuration: the kit's shared sections plus its own. */
export const visibilityConfigSchema = baseConfigSchema({ name: 'visibility', port: 8096 });

/** Validated configuration of the visibility service. */
export type VisibilityConfig = z.infer<typeof visibilityConfigSchema>;
