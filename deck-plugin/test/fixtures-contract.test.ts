// The approval fixtures the views are tested with must be bodies visibility can really send: they are
// parsed with visibility's own response schema, and what the view sends back with its request schema.
import { approvalInstanceSchema, decisionRequestSchema } from '@isd/visibility';

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
});
