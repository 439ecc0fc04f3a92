// Each user's writes that leave stored rows behind are limited per minute, per replica: a script cannot turn
// one grant (WRITE on an application, READ for a check) into gigabytes of history. Services (Orca) are never
// counted: a gate must not be refused for this.
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { z } from 'zod';
import type { Caller } from './auth';
import { IsdError } from './errors';

/** 429: the user has made their writes of this minute. */
export class WriteBudgetError extends IsdError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TooManyRequestsError', message, { code: 'write_limit_exceeded' });
  }
}

export interface UserWriteBudgetOptions {
  perMinute: number;
  /** The config key the limit comes from, named in the 429 (`userWrites.perMinute`). */
  configKey: string;
  /** What is counted, for the 429's message: `template or log mark changes`. */
  writes: string;
}

/** A service's `userWrites` config key: `perMinute`, defaulting to `defaultPerMinute`, described as `counted`. */
export function userWritesConfigSchema(defaultPerMinute: number, counted: string) {
  return z
    .strictObject({ perMinute: z.number().int().min(1).default(defaultPerMinute).describe(counted) })
    .prefault({});
}

/** Counts a user's writes in a fixed one-minute window. */
export class UserWriteBudget {
  private readonly limiter: RateLimiterMemory;

  constructor(private readonly options: UserWriteBudgetOptions) {
    this.limiter = new RateLimiterMemory({ points: options.perMinute, duration: 60 });
  }

  /**
   * Spends `points` writes of `caller` — a Caller, or the user's name — or throws WriteBudgetError naming the
   * limit and when to try again. A service (or no user) spends nothing. A request that needs more than a
   * whole minute's budget is a 400 saying so (waiting would never help), and spends nothing.
   */
  async spend(caller: Caller | string | undefined, points = 1): Promise<void> {
    const user = typeof caller === 'string' ? caller : caller?.kind === 'user' ? caller.user : undefined;
    if (user === undefined || points === 0) return;
    const { perMinute, configKey, writes } = this.options;
    if (points > perMinute)
      throw new IsdError(
        'InputError',
        `this request of ${user} needs ${points} ${writes}, more than ${configKey} (${perMinute}) allows a user in a minute`,
        { code: 'request_exceeds_write_limit' },
      );
    try {
      // The key is the user's name as Gate gave it; a Map-backed store, so prototype names are plain keys.
      await this.limiter.consume(user, points);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const seconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      throw new WriteBudgetError(
        `${user} reached the limit of ${perMinute} ${writes} a minute (${configKey}); try again in ${seconds} s`,
        seconds,
      );
    }
  }
}
