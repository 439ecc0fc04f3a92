// Clouddriver Account Management API contract harness (Spinnaker ≥ 1.28, `account.storage.enabled`),
// written from spinnaker/clouddriver:
// - clouddriver-web/…/controllers/CredentialsController.java: `GET /credentials[?expand]`,
//   `GET /credentials/{name}` (404 "Account does not exist (name: …)"), `GET /credentials/type/{type}`,
//   `POST /credentials`, `PUT /credentials`, `DELETE /credentials/{name}`, `GET /credentials/{name}/history`;
//   without account storage every write is ConfigurationException (500);
// - clouddriver-core/…/security/AccountDefinitionService.java: only account managers may write (else 403
//   "Access is denied"); create of an existing name → 400 "Cannot create duplicate account (name: …)";
//   update/delete of a missing one → 400 "Cannot update|delete an account which does not exist (name: …)";
//   a non-admin must name one of their roles in `permissions.WRITE` (400 "Cannot create|update account
//   without specifying WRITE permissions for current user (name: …)"), and needs WRITE on an existing
//   account to update or delete it (403);
// - the `@type` discriminator (Jackson): missing → 400 "missing type id property '@type'", unknown → 400
//   "Could not resolve type id '…'"; Kubernetes' ManagedAccount.validate(): a name, and not both
//   `namespaces` and `omitNamespaces`;
// - SqlAccountDefinitionRepository: every write is a revision `{version, timestamp, account}`; a delete is a
//   revision with `account: null`.
// The caller is `X-SPINNAKER-USER` (set by Gate's kork interceptor); Fiat is modelled by `users`
// (user → roles, admin flag, account manager flag). kork's error body: `{timestamp, status, error, message}`.
// Not modelled: the credentials poller delay (an account is loaded the moment it is stored), secrets
// (`encrypted:` URIs), other account types.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';

/** A Fiat user as Clouddriver sees it. */
export interface ClouddriverUser {
  roles: string[];
  admin?: boolean;
  /** AccountDefinitionAuthorizer.isAccountManager: admins and holders of the account-manager roles. */
  accountManager?: boolean;
}

export interface ClouddriverAccountApiOptions {
  users: Record<string, ClouddriverUser>;
  /** account.storage.enabled (default true). */
  storageEnabled?: boolean;
}

export interface ClouddriverRevision {
  version: number;
  timestamp: number;
  account: Record<string, unknown> | null;
}

export interface ClouddriverAccountApi {
  url: string;
  /** Stored definitions by name (what the credentials poller would load). */
  accounts: Map<string, Record<string, unknown>>;
  revisions: Map<string, ClouddriverRevision[]>;
  requests: Array<{ method: string; path: string; user: string | undefined; body: unknown }>;
  close(): Promise<void>;
}

const KNOWN_TYPES = new Set(['kubernetes']);

export async function startClouddriverAccountApi(
  options: ClouddriverAccountApiOptions,
): Promise<ClouddriverAccountApi> {
  const accounts = new Map<string, Record<string, unknown>>();
  const revisions = new Map<string, ClouddriverRevision[]>();
  const requests: ClouddriverAccountApi['requests'] = [];
  const storageEnabled = options.storageEnabled ?? true;

  const revise = (name: string, account: Record<string, unknown> | null) => {
    const list = revisions.get(name) ?? [];
    list.push({ version: list.length + 1, timestamp: Date.now(), account });
    revisions.set(name, list);
  };

  const canWrite = (user: ClouddriverUser, account: Record<string, unknown>): boolean => {
    if (user.admin) return true;
    const permissions = (account.permissions ?? {}) as Record<string, string[]>;
    const write = new Set(permissions.WRITE ?? []);
    return user.roles.some((role) => write.has(role));
  };

  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const url = new URL(request.url ?? '/', 'http://clouddriver');
      const segments = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
      const method = request.method ?? 'GET';
      const userName = request.headers['x-spinnaker-user'] as string | undefined;
      const text = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        body = text;
      }
      requests.push({ method, path: url.pathname, user: userName, body });
      const send = (status: number, payload?: unknown) => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(payload === undefined ? '' : JSON.stringify(payload));
      };
      const error = (status: number, message: string) =>
        send(status, { timestamp: Date.now(), status, error: http.STATUS_CODES[status], message });

      if (segments[0] !== 'credentials') return error(404, 'Not Found');
      const user = userName ? options.users[userName] : undefined;
      const storage = () => {
        if (storageEnabled) return true;
        error(500, 'Cannot use AccountDefinitionService endpoints without enabling AccountDefinitionService bean');
        return false;
      };
      const render = (account: Record<string, unknown>) => ({
        name: account.name,
        environment: account.environment ?? account.name,
        accountType: account.accountType ?? account.name,
        cloudProvider: 'kubernetes',
        type: 'kubernetes',
        permissions: account.permissions ?? {},
        requiredGroupMembership: [],
        challengeDestructiveActions: false,
        primaryAccount: false,
      });

      if (method === 'GET' && segments.length === 1) return send(200, [...accounts.values()].map(render));
      if (method === 'GET' && segments.length === 2) {
        const account = accounts.get(segments[1]!);
        return account ? send(200, render(account)) : error(404, `Account does not exist (name: ${segments[1]})`);
      }
      if (method === 'GET' && segments.length === 3 && segments[2] === 'history') {
        if (!storage()) return;
        return send(200, revisions.get(segments[1]!) ?? []);
      }
      if (method === 'GET' && segments.length === 3 && segments[1] === 'type') {
        if (!storage()) return;
        return send(
          200,
          [...accounts.values()].filter((account) => account['@type'] === segments[2]),
        );
      }

      const writing = (method === 'POST' || method === 'PUT') && segments.length === 1;
      const deleting = method === 'DELETE' && segments.length === 2;
      if (!writing && !deleting) return error(405, `Request method '${method}' is not supported`);
      if (!storage()) return;
      if (!user || !(user.accountManager || user.admin)) return error(403, 'Access is denied');

      if (deleting) {
        const name = segments[1]!;
        const existing = accounts.get(name);
        if (!existing) return error(400, `Cannot delete an account which does not exist (name: ${name})`);
        if (!canWrite(user, existing)) return error(403, 'Access is denied');
        accounts.delete(name);
        revise(name, null);
        return send(200);
      }

      if (!body || typeof body !== 'object' || Array.isArray(body))
        return error(400, 'JSON parse error: expected an account definition object');
      const definition = body as Record<string, unknown>;
      const type = definition['@type'];
      if (typeof type !== 'string') return error(400, "JSON parse error: missing type id property '@type'");
      if (!KNOWN_TYPES.has(type))
        return error(
          400,
          `JSON parse error: Could not resolve type id '${type}' as a subtype of CredentialsDefinition`,
        );
      const name = definition.name;
      if (typeof name !== 'string' || name === '') return error(400, 'Account name for Kubernetes provider missing.');
      if (
        Array.isArray(definition.namespaces) &&
        definition.namespaces.length &&
        Array.isArray(definition.omitNamespaces) &&
        definition.omitNamespaces.length
      )
        return error(400, `At most one of 'namespaces' and 'omitNamespaces' can be specified (account: ${name})`);
      if (typeof definition.kubeconfigContents === 'string') {
        try {
          parse(definition.kubeconfigContents);
        } catch {
          return error(400, `kubeconfigContents of account ${name} is not valid YAML`);
        }
      }
      const action = method === 'POST' ? 'create' : 'update';
      const existing = accounts.get(name);
      if (method === 'POST' && existing) return error(400, `Cannot create duplicate account (name: ${name})`);
      if (method === 'PUT' && !existing)
        return error(400, `Cannot update an account which does not exist (name: ${name})`);
      if (method === 'PUT' && existing && !canWrite(user, existing)) return error(403, 'Access is denied');
      if (!canWrite(user, definition))
        return error(
          400,
          `Cannot ${action} account without specifying WRITE permissions for current user (name: ${name})`,
        );
      accounts.set(name, definition);
      revise(name, definition);
      return send(200, definition);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    accounts,
    revisions,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
