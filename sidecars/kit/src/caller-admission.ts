import { Counter, Gauge, type Registry } from 'prom-client';
import type { Caller } from './auth';
import { IsdError } from './errors';

/**
 * How many requests one caller may have in flight (admitted, not yet answered) at once; absent = no limit.
 * Counted right after authentication and before the body is read, so a caller's flood of large bodies
 * costs the event loop at most this many bodies at a time (decision 196).
 */
export interface CallerLimits {
  /** Per Spinnaker user (through Gate), names compared without case. */
  userInFlight?: number;
  /** Per service identity (Orca's token). */
  serviceInFlight?: number;
}

/** The config keys the limits come from, named in the 429 so an operator knows what to raise. */
export const USER_IN_FLIGHT_KEY = 'server.userInFlightLimit';
export const SERVICE_IN_FLIGHT_KEY = 'server.serviceInFlightLimit';
/** A request slot frees when any of the caller's requests is answered, usually well within a second. */
const RETRY_AFTER_SECONDS = 1;

/** 429: the caller already has its limit of requests in flight. */
export class CallerLimitError extends IsdError {
  readonly retryAfterSeconds = RETRY_AFTER_SECONDS;

  constructor(message: string) {
    super('TooManyRequestsError', message, { code: 'caller_limit_exceeded' });
  }
}

type LimitedKind = 'user' | 'service';

/**
 * Counts each caller's requests in flight and refuses the one beyond its limit. Only kinds of caller with a
 * limit are counted. Anonymous callers (public routes: probes, signed callbacks that authenticate from the
 * body) never are: they have no identity before the body is read.
 */
export class CallerAdmission {
  /** Requests in flight by `<kind>:<caller>`; a caller leaves the map when its last request is answered. */
  private readonly inFlight = new Map<string, number>();
  private readonly refused: Counter<'caller'>;

  constructor(
    private readonly limits: CallerLimits,
    registry: Registry,
  ) {
    this.refused = new Counter({
      name: 'http_caller_limit_refusals_total',
      help: 'Requests refused with 429 because their caller already had its limit of requests in flight',
      labelNames: ['caller'],
      registers: [registry],
    });
    for (const kind of ['user', 'service'] as const) this.refused.inc({ caller: kind }, 0);
    const inFlight = this.inFlight;
    new Gauge({
      name: 'http_caller_requests_in_flight',
      help: 'Requests admitted and not yet answered, by kind of caller with a per-caller limit (others are not counted)',
      labelNames: ['caller'],
      registers: [registry],
      collect() {
        const byKind: Record<LimitedKind, number> = { user: 0, service: 0 };
        for (const [key, count] of inFlight) byKind[key.slice(0, key.indexOf(':')) as LimitedKind] += count;
        for (const kind of ['user', 'service'] as const) this.set({ caller: kind }, byKind[kind]);
      },
    });
  }

  /**
   * Admits the caller's request, returning the function that frees its slot (safe to call more than once),
   * or throws CallerLimitError (429) when the caller is at its limit. Undefined for callers not counted.
   */
  admit(caller: Caller): (() => void) | undefined {
    const counted = this.countedAs(caller);
    if (!counted) return undefined;
    const { kind, key, limit, name, configKey } = counted;
    const current = this.inFlight.get(key) ?? 0;
    if (current >= limit) {
      this.refused.inc({ caller: kind });
      throw new CallerLimitError(
        `${name} has ${current} requests in flight (at most ${limit}, ${configKey}); retry when one is answered`,
      );
    }
    this.inFlight.set(key, current + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const remaining = (this.inFlight.get(key) ?? 1) - 1;
      // Deleted at zero, so the map holds only callers with requests in flight.
      if (remaining > 0) this.inFlight.set(key, remaining);
      else this.inFlight.delete(key);
    };
  }

  /** How the caller is counted; undefined when no limit applies to it (Orca's polls then cost nothing here). */
  private countedAs(
    caller: Caller,
  ): { kind: LimitedKind; key: string; limit: number; name: string; configKey: string } | undefined {
    if (caller.kind === 'user' && this.limits.userInFlight !== undefined) {
      // Gate's user names are case-insensitive (as Fiat's): "Alice" and "alice" share one budget.
      return {
        kind: 'user',
        key: `user:${caller.user.toLowerCase()}`,
        limit: this.limits.userInFlight,
        name: caller.user,
        configKey: USER_IN_FLIGHT_KEY,
      };
    }
    if (caller.kind === 'service' && this.limits.serviceInFlight !== undefined) {
      return {
        kind: 'service',
        key: `service:${caller.name}`,
        limit: this.limits.serviceInFlight,
        name: `the ${caller.name} service`,
        configKey: SERVICE_IN_FLIGHT_KEY,
      };
    }
    return undefined;
  }
}
