// Fiat contract harness: the authorization service's read API as spinnaker/fiat's AuthorizeController
// serves it (fiat-web/.../controllers/AuthorizeController.java), from a fixed set of users.
//   GET /authorize/{user}                       → UserPermission.View
//   GET /authorize/{user}/roles | /applications → the View's roles / applications
//   GET /authorize/{user}/applications/{app}    → Application.View, 404 when not listed
//   GET /authorize/{user}/{type}/{name}/{auth}  → 200 when granted, 404 otherwise
// An unknown user is a 404 (NotFoundException). `allowAccessToUnknownApplications` is copied onto every
// View, as Fiat does from its config. `setDown(true)` answers 503, as a Fiat behind a failing LB would.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type FiatAuthorization = 'READ' | 'WRITE' | 'EXECUTE' | 'CREATE';

/** One user as Fiat knows it. */
export interface FiatUser {
  roles?: string[];
  admin?: boolean;
  applications?: Record<string, FiatAuthorization[]>;
}

export interface FiatHarness {
  url: string;
  /** Paths requested, in order. */
  requests: string[];
  setUser(name: string, user: FiatUser): void;
  setDown(down: boolean): void;
  close(): Promise<void>;
}

interface View {
  name: string;
  accounts: unknown[];
  applications: Array<{ name: string; authorizations: FiatAuthorization[] }>;
  serviceAccounts: unknown[];
  roles: Array<{ name: string; source: string }>;
  buildServices: unknown[];
  extensionResources: Record<string, unknown>;
  admin: boolean;
  legacyFallback: boolean;
  allowAccessToUnknownApplications: boolean;
}

/** Starts the harness on 127.0.0.1. User ids are matched case-insensitively, as Fiat stores them. */
export async function startFiatHarness(options: {
  users: Record<string, FiatUser>;
  allowAccessToUnknownApplications?: boolean;
}): Promise<FiatHarness> {
  const users = new Map<string, FiatUser>();
  for (const [name, user] of Object.entries(options.users)) users.set(name.toLowerCase(), user);
  const requests: string[] = [];
  let down = false;

  const viewOf = (name: string): View | undefined => {
    const user = users.get(name.toLowerCase());
    if (!user) return undefined;
    return {
      name: name.toLowerCase(),
      accounts: [],
      applications: Object.entries(user.applications ?? {}).map(([app, authorizations]) => ({
        name: app,
        authorizations,
      })),
      serviceAccounts: [],
      roles: (user.roles ?? []).map((role) => ({ name: role, source: 'EXTERNAL' })),
      buildServices: [],
      extensionResources: {},
      admin: user.admin === true,
      legacyFallback: false,
      allowAccessToUnknownApplications: options.allowAccessToUnknownApplications === true,
    };
  };

  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    requests.push(path);
    const send = (status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { 'content-type': 'application/json' });
      res.end(body === undefined ? undefined : JSON.stringify(body));
    };
    if (down) return send(503, { error: 'Service Unavailable', status: 503 });
    if (req.method !== 'GET') return send(405);
    const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
    if (parts[0] !== 'authorize' || parts.length < 2) return send(404);
    const view = viewOf(parts[1]!);
    if (!view) return send(404, { error: 'Not Found', status: 404 });
    const rest = parts.slice(2);
    if (rest.length === 0) return send(200, view);
    if (rest.length === 1 && rest[0] === 'roles') return send(200, view.roles);
    if (rest.length === 1 && rest[0] === 'applications') return send(200, view.applications);
    if (rest.length === 2 && rest[0] === 'applications') {
      const app = view.applications.find((entry) => entry.name.toLowerCase() === rest[1]!.toLowerCase());
      return app ? send(200, app) : send(404);
    }
    if (rest.length === 3 && rest[0]!.toUpperCase() === 'APPLICATION') {
      const app = view.applications.find((entry) => entry.name.toLowerCase() === rest[1]!.toLowerCase());
      return send(app?.authorizations.includes(rest[2]!.toUpperCase() as FiatAuthorization) ? 200 : 404);
    }
    return send(404);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    setUser: (name, user) => void users.set(name.toLowerCase(), user),
    setDown: (value) => {
      down = value;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
