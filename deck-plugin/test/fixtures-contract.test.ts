// The approval fixtures the views are tested with must be bodies visibility can really send: they are
// parsed with visibility's own response schema, and what the view sends back with its request schema.
import {
  approvalInstanceSchema,
  approvalListSchema,
  decisionRequestSchema,
  evidenceRequestSchema,
  listQuerySchema,
} from '@isd/visibility';

import { evidenceConnectors } from '../src/catalog';

import { createGateProxyClient } from '../src/api/sidecar-client';
import { listFilter } from '../src/views/ApprovalsView';
import type { ApprovalsScope } from '../src/views/ApprovalsView';
import { FakeGate } from './fake-gate';
import { approvals } from './fixtures';

describe('approval fixtures against visibility’s schemas', () => {
  it.each(Object.keys(approvals) as Array<keyof typeof approvals>)(
    'the %s fixture is a valid instance body',
    (status) => {
      expect(() => approvalInstanceSchema.parse(approvals[status])).not.toThrow();
    },
  );

  it('the decision the view sends is a valid request (comment, and the evidence digest shown)', () => {
    const sent = { action: 'approve', comment: 'ship it', evidenceDigest: approvals.activated.evidenceDigest };
    expect(decisionRequestSchema.safeParse(sent).success).toBe(true);
    expect(decisionRequestSchema.safeParse({ action: 'reject', comment: '' }).success).toBe(false);
  });

  it.each<ApprovalsScope>(['mine-everywhere', 'mine-here', 'application'])(
    'the Approvals view’s %s list request is a valid query, and a list of fixtures a valid answer',
    async (scope) => {
      const gate = new FakeGate().on('GET /proxies/visibility/api/v1/approvals', {
        body: approvalListSchema.parse({ approvals: Object.values(approvals), limit: 26, offset: 75 }),
      });
      const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
      const listed = await client.listApprovals(listFilter('checkout', scope, 'expired', 3));
      expect(listed).toHaveLength(Object.keys(approvals).length);
      expect(listQuerySchema.safeParse(gate.requests[0]?.query).success).toBe(true);
    },
  );

  it('offers in the editor exactly the evidence connectors visibility accepts', () => {
    const accepted = evidenceRequestSchema.options.map((option) => option.shape.connector.value);
    expect([...evidenceConnectors].sort()).toEqual([...accepted].sort());
  });
});
