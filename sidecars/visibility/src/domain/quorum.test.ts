import { checkDecision, evaluateQuorum } from './quorum';
import type { ApprovalRules, Decision } from './model';

const decision = (user: string, groups: string[], action: Decision['action'] = 'approve'): Decision => ({
  user,
  action,
  comment: '',
  groups,
  evidenceDigest: null,
  decidedAt: new Date(0),
  breakGlass: false,
});

describe('evaluateQuorum', () => {
  const rules: ApprovalRules = {
    groups: [
      { name: 'rm', required: 2 },
      { name: 'qa', required: 1 },
    ],
    allowSelfApproval: false,
  };

  it('is not met until every group has its count', () => {
    expect(evaluateQuorum(rules, [decision('a', ['rm']), decision('b', ['rm'])]).met).toBe(false);
    expect(evaluateQuorum(rules, [decision('a', ['rm']), decision('b', ['rm']), decision('c', ['qa'])]).met).toBe(true);
  });

  it('counts a person in two groups once', () => {
    const state = evaluateQuorum(rules, [decision('a', ['rm', 'qa']), decision('b', ['rm'])]);
    expect(state.met).toBe(false);
    expect(state.groups.reduce((sum, group) => sum + group.approvals, 0)).toBe(2);
  });

  it('moves an approver to the group that needs them (matching, not first-come)', () => {
    // a fills qa first; b can only be rm; c is rm+qa: a valid assignment a→rm? no — a is rm+qa, b rm, c qa.
    const state = evaluateQuorum(rules, [decision('a', ['rm', 'qa']), decision('c', ['qa']), decision('b', ['rm'])]);
    expect(state.met).toBe(true);
    expect(state.groups).toEqual([
      { name: 'rm', required: 2, approvals: 2 },
      { name: 'qa', required: 1, approvals: 1 },
    ]);
  });

  it('is rejected by any single reject', () => {
    const state = evaluateQuorum(rules, [
      decision('a', ['rm']),
      decision('b', ['rm']),
      decision('c', ['qa']),
      decision('d', ['qa'], 'reject'),
    ]);
    expect(state.met).toBe(false);
    expect(state.rejectedBy).toBe('d');
  });

  it('ignores groups that are not in the snapshot', () => {
    expect(
      evaluateQuorum({ groups: [{ name: 'rm', required: 1 }], allowSelfApproval: false }, [decision('a', ['admins'])])
        .met,
    ).toBe(false);
  });
});

describe('checkDecision', () => {
  const rules: ApprovalRules = { groups: [{ name: 'rm', required: 1 }], allowSelfApproval: false };

  it('refuses users outside every group', () => {
    expect(checkDecision(rules, 'alice', [], 'bob', ['dev'], 'approve')?.reason).toBe('not_an_approver');
  });

  it('refuses self-approval but allows a self-reject', () => {
    expect(checkDecision(rules, 'Alice', [], 'alice', ['rm'], 'approve')?.reason).toBe('self_approval');
    expect(checkDecision(rules, 'Alice', [], 'alice', ['rm'], 'reject')).toBeNull();
    expect(checkDecision({ ...rules, allowSelfApproval: true }, 'alice', [], 'alice', ['rm'], 'approve')).toBeNull();
  });

  it('refuses a second decision by the same person', () => {
    expect(checkDecision(rules, null, [decision('bob', ['rm'])], 'BOB', ['rm'], 'reject')?.reason).toBe(
      'already_decided',
    );
  });
});
