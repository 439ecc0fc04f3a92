// N-of-M per group with every group required and each person counted once: the approvals are matched
// to group seats (a bipartite matching), so someone in two groups fills a seat in only one of them.
import type { ApprovalRules, ApproverGroupRule, Decision, DecisionAction } from './model';

/** How far each group has got and whether the gate's quorum is met. */
export interface QuorumState {
  groups: Array<ApproverGroupRule & { approvals: number }>;
  met: boolean;
  rejectedBy: string | null;
}

/** Evaluates the decisions against the rules: any reject rejects; approvals fill group seats. */
export function evaluateQuorum(rules: ApprovalRules, decisions: readonly Decision[]): QuorumState {
  const rejection = decisions.find((decision) => decision.action === 'reject');
  const capacity = new Map(rules.groups.map((group) => [group.name, group.required]));
  const approvers = decisions
    .filter((decision) => decision.action === 'approve')
    .map((decision) => ({ user: decision.user, groups: decision.groups.filter((name) => capacity.has(name)) }));
  const seatOf = new Map<string, string>();
  const occupants = new Map<string, string[]>(rules.groups.map((group) => [group.name, []]));
  const groupsOf = new Map(approvers.map((approver) => [approver.user, approver.groups]));

  const place = (user: string, visited: Set<string>): boolean => {
    for (const group of groupsOf.get(user) ?? []) {
      if (visited.has(group)) continue;
      visited.add(group);
      const seated = occupants.get(group) as string[];
      if (seated.length < (capacity.get(group) ?? 0)) {
        seated.push(user);
        seatOf.set(user, group);
        return true;
      }
      for (const other of [...seated]) {
        if (place(other, visited)) {
          // `other` moved to another group; its seat here is free for `user`.
          seated.splice(seated.indexOf(other), 1);
          seated.push(user);
          seatOf.set(user, group);
          return true;
        }
      }
    }
    return false;
  };
  for (const approver of approvers) place(approver.user, new Set());

  const groups = rules.groups.map((group) => ({ ...group, approvals: (occupants.get(group.name) ?? []).length }));
  return {
    groups,
    met: !rejection && groups.every((group) => group.approvals >= group.required),
    rejectedBy: rejection?.user ?? null,
  };
}

/** Why a user may not make a decision, or null when they may. */
export type DecisionRefusal =
  | { reason: 'not_an_approver'; message: string }
  | { reason: 'self_approval'; message: string }
  | { reason: 'already_decided'; message: string };

/** The snapshot's groups the user belongs to (roles are lower-cased by the kit). */
export function approverGroupsOf(rules: ApprovalRules, roles: readonly string[]): string[] {
  const held = new Set(roles.map((role) => role.toLowerCase()));
  return rules.groups.filter((group) => held.has(group.name)).map((group) => group.name);
}

/** Checks whether `user` with `roles` may take `action` on a gate with these rules and decisions. */
export function checkDecision(
  rules: ApprovalRules,
  triggeredBy: string | null,
  decisions: readonly Decision[],
  user: string,
  roles: readonly string[],
  action: DecisionAction,
): DecisionRefusal | null {
  if (approverGroupsOf(rules, roles).length === 0) {
    return {
      reason: 'not_an_approver',
      message: `${user} is not in any approver group of this gate (${rules.groups.map((group) => group.name).join(', ')})`,
    };
  }
  if (action === 'approve' && !rules.allowSelfApproval && triggeredBy !== null && sameUser(triggeredBy, user)) {
    return {
      reason: 'self_approval',
      message: `${user} triggered this execution and this gate does not allow self-approval`,
    };
  }
  if (decisions.some((decision) => sameUser(decision.user, user))) {
    return { reason: 'already_decided', message: `${user} already decided on this gate; a person counts once` };
  }
  return null;
}

/** User names compare case-insensitively, as Spinnaker's do. */
export function sameUser(a: string, b: string): boolean {
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}
