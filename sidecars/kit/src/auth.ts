import type { IncomingHttpHeaders } from 'node:http';
import { AuthenticationError, NotAllowedError, UnavailableError } from './errors';

/** Who made a request, as established by {@link Authenticator}. */
export type Caller =
  | { kind: 'service'; name: 'orca' }
  | { kind: 'user'; user: string; roles: string[]; via: 'gate' }
  | { kind: 'anonymous' };

/** Which callers a route accepts. */
export type RouteAuth = 'service' | 'user' | 'service-or-user' | 'public';

/** Header carrying the Orca service token (Authorization: Bearer works too). */
export const SERVICE_TOKEN_HEADER = 'x-isd-service-token';
/** Header that proves a request came through Gate's proxy; only then is X-SPINNAKER-USER trusted. */
export const GATE_TOKEN_HEADER = 'x-isd-gate-token';
/** The user Gate puts on proxied requests. */
export const SPINNAKER_USER_HEADER = 'x-spinnaker-user';

/** Where a request arrived: the Gate-only listener is itself the proof that Gate sent it. */
export interface RequestOrigin {
  gateListener: boolean;
}

/** Looks up a user's roles (groups). */
export interface RoleResolver {
  rolesFor(user: string): Promise<string[]>;
}

/** Roles from a fixed user → roles map: the embedded default, where there is no Fiat. */
export class StaticRoleResolver implements RoleResolver {
  constructor(private readonly rolesByUser: Record<string, string[]>) {}

  async rolesFor(user: string): Promise<string[]> {
    return this.rolesByUser[user] ?? [];
  }
}

/**
 * Roles from Fiat's `GET /authorize/{user}/roles`, cached briefly so a poll storm does not become a
 * Fiat storm while role changes still show within `cacheTtlMs`.
 */
export class FiatRoleResolver implements RoleResolver {
  private readonly cache = new Map<string, { roles: string[]; expiresAt: number }>();

  constructor(
    private readonly baseUrl: string,
    private readonly cacheTtlMs = 30_000,
    private readonly timeoutMs = 5_000,
    private readonly now: () => number = Date.now,
  ) {}

  async rolesFor(user: string): Promise<string[]> {
    const cached = this.cache.get(user);
    if (cached && cached.expiresAt > this.now()) return cached.roles;
    const url = `${this.baseUrl.replace(/\/$/, '')}/authorize/${encodeURIComponent(user)}/roles`;
    let response: Response;
    try {
      response = await fetch(url, {
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: { accept: 'application/json' },
      });
    } catch (error) {
      throw new UnavailableError(`Fiat did not answer at ${url}: ${(error as Error).message}`, { cause: error });
    }
    let roles: string[] = [];
    if (response.status === 404) {
      roles = [];
    } else if (!response.ok) {
      throw new UnavailableError(`Fiat answered ${response.status} for the roles of ${user}`);
    } else {
      const body = (await response.json()) as unknown;
      roles = Array.isArray(body)
        ? body.flatMap((role) =>
            role && typeof role === 'object' && typeof role.name === 'string' ? [role.name.toLowerCase()] : [],
          )
        : [];
    }
    this.cache.set(user, { roles, expiresAt: this.now() + this.cacheTtlMs });
    return roles;
  }
}

/** Secrets the authenticator compares against. */
export interface AuthenticatorOptions {
  serviceToken: string;
  /** Absent: users are accepted only on the Gate-only listener. */
  gateToken?: string;
  roles: RoleResolver;
}

/** Establishes the caller of a request under the trust model (architecture.md, "Trust model"). */
export class Authenticator {
  constructor(private readonly options: AuthenticatorOptions) {}

  /**
   * Returns the caller the route accepts, or throws AuthenticationError. `X-SPINNAKER-USER` is read only
   * on a request that proves it came through Gate — it arrived on the Gate-only listener, or carries the
   * Gate credential; otherwise it is ignored, never trusted.
   */
  async authenticate(
    headers: IncomingHttpHeaders,
    accepts: RouteAuth,
    origin: RequestOrigin = { gateListener: false },
  ): Promise<Caller> {
    if (accepts === 'public') return { kind: 'anonymous' };
    if (accepts !== 'user') {
      const token = serviceTokenFrom(headers);
      if (token !== undefined && tokenEquals(token, this.options.serviceToken))
        return { kind: 'service', name: 'orca' };
      if (accepts === 'service') {
        throw new AuthenticationError(token === undefined ? 'service token required' : 'service token is not valid', {
          code: 'service_token_invalid',
        });
      }
    }
    const gateToken = single(headers[GATE_TOKEN_HEADER]);
    const expectedGateToken = this.options.gateToken;
    const gateCredentialValid =
      expectedGateToken !== undefined && gateToken !== undefined && tokenEquals(gateToken, expectedGateToken);
    if (!origin.gateListener && !gateCredentialValid) {
      // Orca's valid token on a people-only route: say so, rather than that the request missed Gate.
      const token = serviceTokenFrom(headers);
      if (accepts === 'user' && token !== undefined && tokenEquals(token, this.options.serviceToken)) {
        throw new NotAllowedError(
          'the service token is not accepted here: this is done by a person, through Gate (X-SPINNAKER-USER)',
          { code: 'service_token_not_accepted' },
        );
      }
      throw new AuthenticationError('request did not come through Gate: the Gate credential is missing or wrong', {
        code: 'gate_credential_invalid',
      });
    }
    const user = single(headers[SPINNAKER_USER_HEADER])?.trim();
    if (!user || user.toLowerCase() === 'anonymous') {
      throw new AuthenticationError('no logged-in Spinnaker user on the request (X-SPINNAKER-USER)', {
        code: 'user_missing',
      });
    }
    const roles = await this.options.roles.rolesFor(user);
    return { kind: 'user', user, roles: roles.map((role) => role.toLowerCase()), via: 'gate' };
  }
}

function serviceTokenFrom(headers: IncomingHttpHeaders): string | undefined {
  const explicit = single(headers[SERVICE_TOKEN_HEADER]);
  if (explicit !== undefined) return explicit;
  const authorization = single(headers.authorization);
  const match = authorization ? /^Bearer\s+(.+)$/i.exec(authorization) : null;
  return match?.[1];
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Compares in time that depends only on the length: every character is visited and the differences
 * are OR-ed, never returning early. A length mismatch returns at once, which reveals only the token's
 * length (as Go's subtle.ConstantTimeCompare does). Hashing both sides, or copying them into Buffers
 * for timingSafeEqual, cost more than the rest of a status poll's authentication.
 */
function tokenEquals(candidate: string, expected: string): boolean {
  if (candidate.length !== expected.length) return false;
  let difference = 0;
  for (let index = 0; index < expected.length; index++) {
    difference |= candidate.charCodeAt(index) ^ expected.charCodeAt(index);
  }
  return difference === 0;
}
