// The accounts API: admins only (Fiat admins or holders of an `accounts.adminRoles` role, through Gate).
// Kubeconfigs go in and are never shown again: answers carry only where a kubeconfig points.
import { InputError, NotAllowedError, isAdmin, type Caller, type HttpApp, type UserWriteBudget } from '@isd/kit';
import { WRITE_LIMIT_RESPONSE } from '../api/routes';
import { z } from 'zod';
import type { AccountService } from './account-service';
import {
  accountHistoryEntrySchema,
  accountNameSchema,
  accountRequestSchema,
  accountUpdateSchema,
  accountViewSchema,
  accountWriteResultSchema,
} from './schemas';

const nameParams = z.object({ name: accountNameSchema });

const MAX_ACCOUNT_PAGE = 500;

/** The list's cursor is the last name of the previous page (names are unique and order the list), opaque. */
export function encodeAccountCursor(name: string): string {
  return Buffer.from(name).toString('base64url');
}

export const accountListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(MAX_ACCOUNT_PAGE).default(100),
  cursor: z
    .string()
    .max(200)
    .transform((text, context) => {
      const name = Buffer.from(text, 'base64url').toString();
      if (!accountNameSchema.safeParse(name).success) {
        context.addIssue({ code: 'custom', message: 'expected the `next` cursor of a previous page' });
        return z.NEVER;
      }
      return name;
    })
    .optional()
    .describe('`next` of the previous page'),
});

/** The acting admin's name; anyone else (the service token included) is refused with the roles needed. */
export function requireAccountAdmin(caller: Caller, adminRoles: string[]): string {
  if (caller.kind !== 'user')
    throw new NotAllowedError('the service token cannot manage accounts: an account admin must, through Gate', {
      code: 'not_account_admin',
    });
  const roles = new Set(caller.roles.map((role) => role.toLowerCase()));
  if (isAdmin(caller) || adminRoles.some((role) => roles.has(role.toLowerCase()))) return caller.user;
  throw new NotAllowedError(`${caller.user} may not manage accounts: needs one of the roles ${adminRoles.join(', ')}`, {
    code: 'not_account_admin',
  });
}

const adminOnly = { 403: { description: 'the caller is not an account admin' } };

/** Registers the accounts routes. */
export function registerAccountRoutes(
  http: HttpApp,
  accounts: AccountService,
  adminRoles: string[],
  writes: UserWriteBudget,
): void {
  http.route(
    {
      method: 'get',
      path: '/api/v1/accounts',
      summary: 'Accounts sapor manages (no credentials), by name, keyset-paged (`next` cursor)',
      tags: ['accounts'],
      auth: 'service-or-user',
      query: accountListQuery,
      responses: {
        200: {
          description: 'one page of accounts; `next` is the cursor of the following page, or null',
          schema: z.object({ accounts: z.array(accountViewSchema), next: z.string().nullable() }),
        },
        400: { description: 'limit or cursor is malformed (the message names it)' },
        ...adminOnly,
      },
    },
    async ({ caller, query }) => {
      requireAccountAdmin(caller, adminRoles);
      const page = await accounts.list({ after: query.cursor, limit: query.limit });
      const last = page[page.length - 1];
      return {
        status: 200,
        body: { accounts: page, next: page.length === query.limit && last ? encodeAccountCursor(last.name) : null },
      };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/accounts',
      summary:
        'Creates a Kubernetes account: its kubeconfig is checked against the cluster (or, through an agent, issued by the controller) before it is written',
      tags: ['accounts'],
      auth: 'service-or-user',
      body: accountRequestSchema,
      responses: {
        201: {
          description: 'created; through a new agent, with the manifest to apply',
          schema: accountWriteResultSchema,
        },
        400: {
          description:
            'a field is invalid, or the kubeconfig cannot reach or use its cluster, or Clouddriver refused it',
        },
        409: { description: 'the account exists, or the git branch kept moving' },
        429: WRITE_LIMIT_RESPONSE,
        503: { description: 'Gate, the git repository or the controller is unavailable, or no back end is configured' },
        ...adminOnly,
      },
    },
    async ({ caller, body }) => {
      const actor = requireAccountAdmin(caller, adminRoles);
      await writes.spend(caller);
      return { status: 201, body: await accounts.create(body, actor) };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/accounts/:name',
      summary: 'One account (no credentials)',
      tags: ['accounts'],
      auth: 'service-or-user',
      params: nameParams,
      responses: {
        200: { description: 'the account', schema: accountViewSchema },
        404: { description: 'no such account' },
        ...adminOnly,
      },
    },
    async ({ caller, params }) => {
      requireAccountAdmin(caller, adminRoles);
      return { status: 200, body: await accounts.get(params.name) };
    },
  );

  http.route(
    {
      method: 'put',
      path: '/api/v1/accounts/:name',
      summary: 'Replaces an account (same body as POST; the kubeconfig is checked again)',
      tags: ['accounts'],
      auth: 'service-or-user',
      params: nameParams,
      body: accountUpdateSchema,
      responses: {
        200: { description: 'replaced', schema: accountWriteResultSchema },
        400: {
          description:
            'a field is invalid, or the kubeconfig cannot reach or use its cluster, or Clouddriver refused it',
        },
        404: { description: 'no such account' },
        429: WRITE_LIMIT_RESPONSE,
        ...adminOnly,
      },
    },
    async ({ caller, params, body }) => {
      const actor = requireAccountAdmin(caller, adminRoles);
      if (body.name !== undefined && body.name !== params.name)
        throw new InputError(`name: ${body.name} differs from the account in the path (${params.name})`, {
          code: 'name_mismatch',
          issues: [{ path: 'name', message: `must be ${params.name}, the account in the path` }],
        });
      await writes.spend(caller);
      return { status: 200, body: await accounts.update({ ...body, name: params.name }, actor) };
    },
  );

  http.route(
    {
      method: 'delete',
      path: '/api/v1/accounts/:name',
      summary: 'Deletes an account; tunnel credentials issued for it are revoked first',
      tags: ['accounts'],
      auth: 'service-or-user',
      params: nameParams,
      responses: {
        200: {
          description: 'deleted',
          schema: z.object({
            name: z.string(),
            version: z.number().int(),
            revision: z.string().nullable(),
            revoked: z.number().int().describe('Certificates revoked at the controller'),
          }),
        },
        404: { description: 'no such account' },
        429: WRITE_LIMIT_RESPONSE,
        ...adminOnly,
      },
    },
    async ({ caller, params }) => {
      const actor = requireAccountAdmin(caller, adminRoles);
      await writes.spend(caller);
      return { status: 200, body: await accounts.delete(params.name, actor) };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/accounts/:name/history',
      summary: 'Every version of an account, newest first, deletions included (no credentials)',
      tags: ['accounts'],
      auth: 'service-or-user',
      params: nameParams,
      responses: {
        200: { description: 'the versions', schema: z.object({ history: z.array(accountHistoryEntrySchema) }) },
        404: { description: 'the account was never created here' },
        ...adminOnly,
      },
    },
    async ({ caller, params }) => {
      requireAccountAdmin(caller, adminRoles);
      return { status: 200, body: { history: await accounts.history(params.name) } };
    },
  );
}
