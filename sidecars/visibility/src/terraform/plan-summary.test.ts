import { changeAction, planLine, summarisePlan } from './plan-summary';
import { hclValue, workspaceAllowed } from './runs';
import { parseRun } from './tfc-client';

const change = (address: string, actions: string[], extra: Record<string, unknown> = {}) => ({
  address,
  change: { actions, before: { password: 'secret' }, after: { password: 'secret2' } },
  ...extra,
});

describe('summarisePlan', () => {
  it('counts adds, changes, destroys and replaces like Terraform, and keeps no attribute values', () => {
    const summary = summarisePlan(
      {
        resource_changes: [
          change('a.create', ['create']),
          change('b.update', ['update']),
          change('c.replace', ['delete', 'create'], { action_reason: 'replace_because_cannot_update' }),
          change('d.replace', ['create', 'delete']),
          change('e.delete', ['delete']),
          change('f.noop', ['no-op']),
          change('data.g.read', ['read']),
        ],
      },
      10,
    );
    expect(summary).toMatchObject({ additions: 3, changes: 1, destructions: 3, replacements: 2, omitted: 0 });
    expect(summary.resourceChanges.map((entry) => [entry.address, entry.action])).toEqual([
      ['a.create', 'create'],
      ['b.update', 'update'],
      ['c.replace', 'replace'],
      ['d.replace', 'replace'],
      ['e.delete', 'delete'],
    ]);
    expect(summary.resourceChanges[2]!.reason).toBe('replace_because_cannot_update');
    expect(JSON.stringify(summary)).not.toContain('secret');
    expect(planLine(summary)).toBe('3 to add, 1 to change, 3 to destroy (2 replaced)');
  });

  it('keeps at most `limit` changes but counts all of them', () => {
    const plan = { resource_changes: Array.from({ length: 7 }, (_, i) => change(`r.n${i}`, ['create'])) };
    const summary = summarisePlan(plan, 3);
    expect(summary.resourceChanges).toHaveLength(3);
    expect(summary).toMatchObject({ additions: 7, omitted: 4 });
  });

  it('reads a plan without resource_changes as empty, and refuses what is not a plan', () => {
    expect(summarisePlan({ format_version: '1.2' }, 5).resourceChanges).toEqual([]);
    expect(() => summarisePlan([], 5)).toThrow('not an object');
    expect(() => summarisePlan({ resource_changes: {} }, 5)).toThrow('resource_changes in the plan JSON is not a list');
    expect(() => summarisePlan('x', 5)).toThrow('not an object');
    expect(() => summarisePlan({ resource_changes: [{ address: 'x' }] }, 5)).toThrow('resource_changes[0]');
    expect(() => summarisePlan({ resource_changes: [change('x.y', ['explode'])] }, 5)).toThrow('unknown actions');
    expect(changeAction(['update', 'create'])).toBeNull();
  });
});

describe('run variables and workspaces', () => {
  it('writes HCL literals, escaping template sequences so a value is never evaluated', () => {
    expect(hclValue('plain')).toBe('"plain"');
    expect(hclValue('a "quoted"\nline')).toBe('"a \\"quoted\\"\\nline"');
    expect(hclValue('${file("/etc/passwd")}')).toBe('"$${file(\\"/etc/passwd\\")}"');
    expect(hclValue('%{ for x in y }')).toBe('"%%{ for x in y }"');
    expect(hclValue(3.5)).toBe('3.5');
    expect(hclValue(true)).toBe('true');
  });

  it('matches allowed workspaces by name or organization/name with * wildcards', () => {
    expect(workspaceAllowed([], 'acme', 'anything')).toBe(true);
    expect(workspaceAllowed(['network'], 'acme', 'network')).toBe(true);
    expect(workspaceAllowed(['network'], 'acme', 'network-prod')).toBe(false);
    expect(workspaceAllowed(['app-*'], 'acme', 'app-prod')).toBe(true);
    expect(workspaceAllowed(['acme/*'], 'acme', 'x')).toBe(true);
    expect(workspaceAllowed(['acme/*'], 'other', 'x')).toBe(false);
    expect(workspaceAllowed(['a.c'], 'acme', 'abc')).toBe(false);
  });
});

describe('parseRun', () => {
  it('reads status, actions and the included plan counts', () => {
    const run = parseRun({
      data: {
        id: 'run-1',
        type: 'runs',
        attributes: { status: 'planned', 'has-changes': true, actions: { 'is-confirmable': true } },
        relationships: { plan: { data: { id: 'plan-1', type: 'plans' } } },
      },
      included: [{ id: 'plan-1', type: 'plans', attributes: { status: 'finished', 'resource-additions': 2 } }],
    });
    expect(run).toMatchObject({ id: 'run-1', status: 'planned', isConfirmable: true, planId: 'plan-1' });
    expect(run.plan).toEqual({ status: 'finished', additions: 2, changes: 0, destructions: 0 });
  });

  it('refuses a document without a run id or status', () => {
    expect(() => parseRun({ data: { attributes: {} } })).toThrow('without id or status');
  });
});
