// The HTTP routes of the approval gate: Orca's create/monitor/cancel and the people side.
import type { HttpApp } from '@isd/kit';
import { z } from 'zod';
import type { ApprovalGate } from '../approvals';
import { presentApproval } from './present';
import {
  approvalIdParamsSchema,
  approvalInstanceSchema,
  approvalListSchema,
  cancelRequestSchema,
  createApprovalSchema,
  decisionRequestSchema,
  listQuerySchema,
} from './schemas';

const problem = (description: string) => ({ description });

/** Registers the approval routes on the service's HTTP app. */
export function registerApprovalRoutes(http: HttpApp, gate: ApprovalGate, now: () => Date = () => new Date()): void {
  const tags = ['approvals'];

  http.route(
    {
      method: 'post',
      path: '/api/v1/approvals',
      summary: "Create the gate for an execution's stage (Orca); idempotent on (executionId, stageId, attempt)",
      tags,
      auth: 'service',
      rejectUnresolvedExpressions: true,
      body: createApprovalSchema,
      responses: {
        202: { description: 'the gate (new or existing); Location is its monitor URL', schema: approvalInstanceSchema },
        400: problem('a field is invalid or holds an unevaluated ${...}; autoDecision without sapor'),
        401: problem('no or a wrong service token'),
      },
    },
    async ({ body, caller }) => {
      const { approval } = await gate.create(body);
      return {
        status: 202,
        headers: { Location: `/api/v1/approvals/${approval.id}` },
        body: presentApproval(approval, caller, gate.links(approval), now()),
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/approvals',
      summary: 'List gates; `mine=true` is the inbox of what the calling user may still decide',
      tags,
      auth: 'service-or-user',
      query: listQuerySchema,
      responses: {
        200: { description: 'gates, newest first', schema: approvalListSchema },
        401: problem('not authenticated'),
      },
    },
    async ({ query, caller }) => {
      const limit = query.limit ?? 50;
      const offset = query.offset ?? 0;
      const approvals = await gate.list(caller, {
        status: query.status,
        application: query.application,
        executionId: query.executionId,
        mine: query.mine === 'true',
        limit,
        offset,
      });
      const at = now();
      return {
        status: 200,
        body: {
          approvals: approvals.map((approval) => presentApproval(approval, caller, gate.links(approval), at)),
          limit,
          offset,
        },
      };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/approvals/:id',
      summary: "The gate: status (Orca's monitor) and everything Deck shows",
      tags,
      auth: 'service-or-user',
      params: approvalIdParamsSchema,
      responses: { 200: { description: 'the gate', schema: approvalInstanceSchema }, 404: problem('no such gate') },
    },
    async ({ params, caller }) => {
      const approval = await gate.get(params.id.toLowerCase(), caller);
      return { status: 200, body: presentApproval(approval, caller, gate.links(approval), now()) };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/approvals/:id/decisions',
      summary: 'Approve or reject (a user through Gate); a reject needs a comment',
      tags,
      auth: 'user',
      params: approvalIdParamsSchema,
      body: decisionRequestSchema,
      responses: {
        200: { description: 'the gate after the decision', schema: approvalInstanceSchema },
        401: problem('not a user proven by Gate'),
        403: problem('not in an approver group, or self-approval'),
        404: problem('no such gate'),
        409: problem('the gate is closed or expired, the user already decided, or the evidence changed'),
      },
    },
    async ({ params, body, caller }) => {
      const approval = await gate.decide(params.id.toLowerCase(), caller, body);
      return { status: 200, body: presentApproval(approval, caller, gate.links(approval), now()) };
    },
  );

  http.route(
    {
      method: 'post',
      path: '/api/v1/approvals/:id/cancel',
      summary: 'Cancel the gate (Orca, when the execution is canceled); idempotent',
      tags,
      auth: 'service',
      params: approvalIdParamsSchema,
      body: cancelRequestSchema,
      responses: { 200: { description: 'the gate', schema: approvalInstanceSchema }, 404: problem('no such gate') },
    },
    async ({ params, caller }) => {
      const approval = await gate.cancel(params.id.toLowerCase());
      return { status: 200, body: presentApproval(approval, caller, gate.links(approval), now()) };
    },
  );

  http.route(
    {
      method: 'get',
      path: '/api/v1/approvals/:id/audit',
      summary: 'The append-only audit trail of a gate',
      tags,
      auth: 'service-or-user',
      params: approvalIdParamsSchema,
      responses: {
        200: {
          description: 'every transition and decision, oldest first',
          schema: z.object({
            events: z.array(
              z.object({
                at: z.string(),
                event: z.string(),
                actor: z.string(),
                authMethod: z.string(),
                channel: z.string(),
                fromStatus: z.string().nullable(),
                toStatus: z.string().nullable(),
                comment: z.string().nullable(),
                evidenceDigest: z.string().nullable(),
                details: z.record(z.string(), z.unknown()),
              }),
            ),
          }),
        },
        404: problem('no such gate'),
      },
    },
    async ({ params, caller }) => {
      const approval = await gate.get(params.id.toLowerCase(), caller);
      const events = await gate.auditTrail(approval.id);
      return {
        status: 200,
        body: {
          events: events.map((entry) => ({
            at: entry.at.toISOString(),
            event: entry.event,
            actor: entry.actor.name,
            authMethod: entry.actor.authMethod,
            channel: entry.actor.channel,
            fromStatus: entry.fromStatus ?? null,
            toStatus: entry.toStatus ?? null,
            comment: entry.comment ?? null,
            evidenceDigest: entry.evidenceDigest ?? null,
            details: entry.details ?? {},
          })),
        },
      };
    },
  );
}
