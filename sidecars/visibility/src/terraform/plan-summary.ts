// What approvers see of a plan: counts and each resource change's address and action, read from
// Terraform's JSON plan format (`resource_changes[].change.actions`). No attribute values are kept: a
// plan's before/after may hold secrets, and the address plus action is what a reviewer decides on.

/** One change as shown: Terraform's action list folded into one word. */
export type ChangeAction = 'create' | 'update' | 'delete' | 'replace' | 'read' | 'no-op';

export interface ResourceChange {
  address: string;
  action: ChangeAction;
  /** Terraform's own action list, e.g. ['delete', 'create'] (destroy before create). */
  actions: string[];
  /** Why Terraform must replace it, when it says (`action_reason`). */
  reason?: string;
}

export interface PlanSummary {
  additions: number;
  changes: number;
  destructions: number;
  replacements: number;
  /** Changes other than no-op and read, in plan order, at most `limit`. */
  resourceChanges: ResourceChange[];
  /** How many changes were left out of `resourceChanges` by the limit. */
  omitted: number;
}

/** Folds Terraform's action list into one word; unknown lists are refused (a plan format change). */
export function changeAction(actions: string[]): ChangeAction | null {
  const key = actions.join(',');
  switch (key) {
    case 'create':
    case 'update':
    case 'delete':
    case 'read':
    case 'no-op':
      return key;
    case 'delete,create':
    case 'create,delete':
      return 'replace';
    default:
      return null;
  }
}

/** Summarises a JSON plan; throws with a message naming the entry when the plan is not in Terraform's format. */
export function summarisePlan(plan: unknown, limit: number): PlanSummary {
  const root = plan && typeof plan === 'object' && !Array.isArray(plan) ? (plan as Record<string, unknown>) : null;
  if (!root) throw new Error('the plan JSON is not an object');
  const entries = root.resource_changes ?? [];
  if (!Array.isArray(entries)) throw new Error('resource_changes in the plan JSON is not a list');
  const summary: PlanSummary = {
    additions: 0,
    changes: 0,
    destructions: 0,
    replacements: 0,
    resourceChanges: [],
    omitted: 0,
  };
  entries.forEach((entry: unknown, index) => {
    const change = entry && typeof entry === 'object' ? (entry as Record<string, unknown>) : {};
    const address = change.address;
    const actions = (change.change as { actions?: unknown } | undefined)?.actions;
    if (typeof address !== 'string' || !Array.isArray(actions) || !actions.every((a) => typeof a === 'string'))
      throw new Error(`resource_changes[${index}] has no address or change.actions`);
    const action = changeAction(actions as string[]);
    if (!action) throw new Error(`resource_changes[${index}] (${address}) has unknown actions ${actions.join(',')}`);
    if (action === 'no-op' || action === 'read') return;
    if (action === 'create' || action === 'replace') summary.additions += 1;
    if (action === 'delete' || action === 'replace') summary.destructions += 1;
    if (action === 'update') summary.changes += 1;
    if (action === 'replace') summary.replacements += 1;
    if (summary.resourceChanges.length >= limit) {
      summary.omitted += 1;
      return;
    }
    const reason = typeof change.action_reason === 'string' ? change.action_reason : undefined;
    summary.resourceChanges.push({ address, action, actions: actions as string[], ...(reason ? { reason } : {}) });
  });
  return summary;
}

/** One line for cards and progress messages: "+2 ~1 -1 (1 replaced)". */
export function planLine(
  summary: Pick<PlanSummary, 'additions' | 'changes' | 'destructions' | 'replacements'>,
): string {
  const replaced = summary.replacements ? ` (${summary.replacements} replaced)` : '';
  return `${summary.additions} to add, ${summary.changes} to change, ${summary.destructions} to destroy${replaced}`;
}
