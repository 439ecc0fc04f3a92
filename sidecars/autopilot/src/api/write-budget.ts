// Each user's writes that leave stored rows behind (template versions, log marks and their audit records and
// jobs) are limited per minute, per replica: a script cannot turn one WRITE grant into gigabytes of history.
import { IsdError, type Caller } from '@isd/kit';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

/** The config key the limit comes from, named in the 429. */
export const USER_WRITES_KEY = 'userWrites.perMinute';

/** 429: the user has made their writes of this minute. */
export class WriteBudgetError extends IsdError {
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super('TooManyRequestsError', message, { code: 'write_limit_exceeded' });
  }
}

/** Counts a user's writes in a fixed one-minute window; services (Orca, file loading) are not counted. */
export class UserWriteBudget {
  private readonly limiter: RateLimiterMemory;

  constructor(private readonly perMinute: number) {
    this.limiter = new RateLimiterMemory({ points: perMinute, duration: 60 });
  }

  /** Spends one write of `caller`, or throws WriteBudgetError naming the limit and when to try again. */
  async spend(caller: Caller): Promise<void> {
    if (caller.kind !== 'user') return;
    try {
      // The key is the user's name as Gate gave it; a Map-backed store, so prototype names are plain keys.
      await this.limiter.consume(caller.user);
    } catch (refusal) {
      if (!(refusal instanceof RateLimiterRes)) throw refusal;
      const seconds = Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
      throw new WriteBudgetError(
        `${caller.user} made ${this.perMinute} template or log mark changes this minute, the limit (${USER_WRITES_KEY}); try again in ${seconds} s`,
        seconds,
      );
    }
  }
}
