import type { IncomingHttpHeaders } from 'node:http';
import { AuthenticationError, NotAllowedError, NotFoundError, UnavailableError } from './errors';
import { OutboundError, jsonOf, outboundRequest, type OutboundResponse } from './outbound';

/** An application permission as Fiat names it. */
export type ApplicationPermission = 'READ' | 'WRITE' | 'EXECUTE';

/**
 * What a user may do, as Fiat's `UserPermission.View` says (`GET /authorize/{user}`): roles, the admin
 * flag, per-application authorizations, and whether applications Fiat does not list are open.
 * Application names are lower case (Fiat's are case-insensitive); `*` (static config only) means every
 * application. Maps and Sets only: user-controlled names never index a plain object.
 */
export interface UserPermissions {
  roles: string[];
  admin: boolean;
  applications: ReadonlyMap<string, ReadonlySet<ApplicationPermission>>;
  allowAccessToUnknownApplications: boolean;
}

/** Who made a request, as established by {@link Authenticator} (or, `via: 'slack'`, by a verified Slack request mapped to a user). */
export type Caller =
  | { kind: 'service'; name: 'orca' }
  | { kind: 'user'; user: string; roles: string[]; permissions: UserPermissions; via: 'gate' | 'slack' }
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

/** Looks up a user's permissions. */
export interface PermissionResolver {
  permissionsFor(user: string): Promise<UserPermissions>;
}

/** No roles, no applications: what an unknown user has. */
export function noPermissions(): UserPermissions {
  return { roles: [], admin: false, applications: new Map(), allowAccessToUnknownApplications: false };
}

const APPLICATION_PERMISSIONS: readonly ApplicationPermission[] = ['READ', 'WRITE', 'EXECUTE'];

/** One user's entry in the static `auth.users` config: a role list (roles only), or full permissions. */
export type StaticUserEntry =
  | string[]
  | {
      roles?: string[];
      admin?: boolean;
      applications?: Record<string, ApplicationPermission[]>;
    };

/** Builds permissions from a static entry; names lower-cased, into Maps. */
export function permissionsFromStatic(entry: StaticUserEntry): UserPermissions {
  if (Array.isArray(entry)) return { ...noPermissions(), roles: entry.map((role) => role.toLowerCase()) };
  const applications = new Map<string, Set<ApplicationPermission>>();
  for (const [name, granted] of Object.entries(entry.applications ?? {}))
    applications.set(name.toLowerCase(), new Set(granted));
  return {
    roles: (entry.roles ?? []).map((role) => role.toLowerCase()),
    admin: entry.admin === true,
    applications,
    allowAccessToUnknownApplications: false,
  };
}

/** Permissions from a fixed user map: the embedded default, where there is no Fiat. */
export class StaticPermissionResolver implements PermissionResolver {
  private readonly byUser: ReadonlyMap<string, UserPermissions>;

  constructor(users: Record<string, StaticUserEntry> | ReadonlyMap<string, StaticUserEntry>) {
    const entries = users instanceof Map ? [...users.entries()] : Object.entries(users);
    this.byUser = new Map(entries.map(([user, entry]) => [user, permissionsFromStatic(entry)]));
  }

  async permissionsFor(user: string): Promise<UserPermissions> {
    return this.byUser.get(user) ?? noPermissions();
  }
}

/** Reads Fiat's `UserPermission.View` JSON; anything malformed is left out, never trusted. */
export function permissionsFromFiatView(view: unknown): UserPermissions {
  if (!view || typeof view !== 'object' || Array.isArray(view)) return noPermissions();
  const record = view as {
    roles?: unknown;
    applications?: unknown;
    admin?: unknown;
    allowAccessToUnknownApplications?: unknown;
  };
  const roles = Array.isArray(record.roles)
    ? record.roles.flatMap((role: unknown) =>
        role && typeof role === 'object' && typeof (role as { name?: unknown }).name === 'string'
          ? [(role as { name: string }).name.toLowerCase()]
          : [],
      )
    : [];
  const applications = new Map<string, Set<ApplicationPermission>>();
  if (Array.isArray(record.applications)) {
    for (const item of record.applications as unknown[]) {
      if (!item || typeof item !== 'object') continue;
      const { name, authorizations } = item as { name?: unknown; authorizations?: unknown };
      if (typeof name !== 'string' || !Array.isArray(authorizations)) continue;
      const granted = authorizations.filter((value): value is ApplicationPermission =>
        APPLICATION_PERMISSIONS.includes(value as ApplicationPermission),
      );
      applications.set(name.toLowerCase(), new Set([...(applications.get(name.toLowerCase()) ?? []), ...granted]));
    }
  }
  return {
    roles,
    admin: record.admin === true,
    applications,
    allowAccessToUnknownApplications: record.allowAccessToUnknownApplications === true,
  };
}

/**
 * Permissions from Fiat's `GET /authorize/{user}` (its `UserPermission.View`), cached briefly so a poll
 * storm does not become a Fiat storm while changes still show within `cacheTtlMs`. Fiat unreachable or
 * answering an error → UnavailableError (503): never open. A 404 (Fiat knows no such user) → no permissions.
 */
export class FiatPermissionResolver implements PermissionResolver {
  private readonly cache = new Map<string, { permissions: UserPermissions; expiresAt: number }>();

  constructor(
    private readonly baseUrl: string,
    private readonly cacheTtlMs = 30_000,
    private readonly timeoutMs = 5_000,
    private readonly now: () => number = Date.now,
    private readonly maxResponseBytes = 8 * 1024 * 1024,
  ) {}

  async permissionsFor(user: string): Promise<UserPermissions> {
    const cached = this.cache.get(user);
    if (cached && cached.expiresAt > this.now()) return cached.permissions;
    let response: OutboundResponse;
    try {
      response = await outboundRequest({
        base: this.baseUrl,
        path: `authorize/${encodeURIComponent(user)}`,
        headers: { accept: 'application/json' },
        timeoutMs: this.timeoutMs,
        maxResponseBytes: this.maxResponseBytes,
      });
    } catch (error) {
      // A name that is or hides a dot segment cannot be a Fiat user id: refuse it, never ask elsewhere.
      if (error instanceof OutboundError && (error.code === 'outside_base' || error.code === 'invalid_url'))
        throw new AuthenticationError(`user name ${JSON.stringify(user)} cannot be a Spinnaker user`, {
          code: 'user_invalid',
        });
      throw new UnavailableError(`Fiat did not answer for the permissions of ${user}: ${(error as Error).message}`, {
        cause: error,
        code: 'fiat_unavailable',
      });
    }
    let permissions: UserPermissions;
    if (response.status === 404) {
      permissions = noPermissions();
    } else if (response.status < 200 || response.status > 299) {
      throw new UnavailableError(`Fiat answered ${response.status} for the permissions of ${user}`, {
        code: 'fiat_unavailable',
      });
    } else {
      const view = jsonOf(response);
      if (view === undefined)
        throw new UnavailableError(`Fiat answered the permissions of ${user} with a body that is not JSON`, {
          code: 'fiat_unavailable',
        });
      permissions = permissionsFromFiatView(view);
    }
    this.cache.set(user, { permissions, expiresAt: this.now() + this.cacheTtlMs });
    return permissions;
  }
}

/** What a caller wants to do with an application's records. */
export type ApplicationAccess = 'READ' | 'WRITE';

/**
 * Whether the caller may READ (see) or WRITE (act on) an application's records. Orca (the service
 * token) may do both; admins may do everything; WRITE implies READ; an application the user's
 * permissions do not mention is open only when Fiat says `allowAccessToUnknownApplications`.
 */
export function canAccessApplication(caller: Caller, application: string, access: ApplicationAccess): boolean {
  if (caller.kind === 'service') return true;
  if (caller.kind !== 'user') return false;
  const permissions = caller.permissions;
  if (permissions.admin) return true;
  const granted = permissions.applications.get(application.toLowerCase()) ?? permissions.applications.get('*');
  if (!granted) return permissions.allowAccessToUnknownApplications;
  return granted.has('WRITE') || (access === 'READ' && granted.has('READ'));
}

/**
 * Which applications' records a caller may READ, in a form a list query can filter on: everything
 * (Orca, admins), or the named `readable` ones plus — when `othersReadable` (Fiat's
 * allowAccessToUnknownApplications, or a `*` grant) — every application not named in `unreadable`.
 */
export type ApplicationScope =
  { all: true } | { all: false; readable: string[]; unreadable: string[]; othersReadable: boolean };

export function applicationScope(caller: Caller): ApplicationScope {
  if (caller.kind === 'service' || (caller.kind === 'user' && caller.permissions.admin)) return { all: true };
  if (caller.kind !== 'user') return { all: false, readable: [], unreadable: [], othersReadable: false };
  const readable: string[] = [];
  const unreadable: string[] = [];
  let othersReadable = caller.permissions.allowAccessToUnknownApplications;
  for (const [application, granted] of caller.permissions.applications) {
    const canRead = granted.has('READ') || granted.has('WRITE');
    if (application === '*') othersReadable = canRead;
    else (canRead ? readable : unreadable).push(application);
  }
  return { all: false, readable, unreadable, othersReadable };
}

/** True when `application` is inside the scope (the in-memory twin of a scope-filtered query). */
export function inApplicationScope(scope: ApplicationScope, application: string): boolean {
  if (scope.all) return true;
  const name = application.toLowerCase();
  if (scope.readable.includes(name)) return true;
  return scope.othersReadable && !scope.unreadable.includes(name);
}

/** True for Orca and for admin users. */
export function isAdmin(caller: Caller): boolean {
  return caller.kind === 'service' || (caller.kind === 'user' && caller.permissions.admin);
}

/**
 * Throws unless the caller may see `application`'s records: NotFoundError, worded like a missing record
 * (`what`), so nobody learns that a record of an application they cannot read exists.
 */
export function requireApplicationRead(caller: Caller, application: string, what: string): void {
  if (!canAccessApplication(caller, application, 'READ')) throw new NotFoundError(`${what} not found`);
}

/**
 * Throws unless the caller may act on `application`: 404 when it may not even see it, 403 when it may
 * see but not write.
 */
export function requireApplicationWrite(caller: Caller, application: string, what: string): void {
  requireApplicationRead(caller, application, what);
  if (!canAccessApplication(caller, application, 'WRITE'))
    throw new NotAllowedError(
      `${caller.kind === 'user' ? caller.user : 'the caller'} has no WRITE permission on application ${application}`,
      { code: 'application_write_required' },
    );
}

/** Secrets the authenticator compares against. */
export interface AuthenticatorOptions {
  serviceToken: string;
  /** Absent: users are accepted only on the Gate-only listener. */
  gateToken?: string;
  permissions: PermissionResolver;
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
    const permissions = await this.options.permissions.permissionsFor(user);
    return { kind: 'user', user, roles: permissions.roles, permissions, via: 'gate' };
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
