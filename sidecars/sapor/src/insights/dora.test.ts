import { deploymentsOf, measure, percentile, type DeploymentRow } from './dora';

const deployTypes = new Set(['deployManifest']);
const environments = new Map([['prod-east', 'production']]);
const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 0, 10);

function execution(status: string, stages: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return {
    id: 'e1',
    application: 'web',
    name: 'deploy',
    pipelineConfigId: 'cfg',
    type: 'PIPELINE',
    status,
    buildTime: T0,
    startTime: T0 + 1000,
    endTime: T0 + HOUR,
    stages,
    ...extra,
  };
}

describe('deploymentsOf', () => {
  it('makes one deployment per environment a deploy stage that ran targeted, mapping accounts', () => {
    const rows = deploymentsOf(
      execution('SUCCEEDED', [
        { type: 'deployManifest', status: 'SUCCEEDED', context: { account: 'prod-east' } },
        { type: 'deployManifest', status: 'SUCCEEDED', context: { account: 'staging' } },
        { type: 'deployManifest', status: 'SKIPPED', context: { account: 'dr' } },
        { type: 'wait', status: 'SUCCEEDED', context: { account: 'other' } },
      ]),
      deployTypes,
      environments,
    );
    expect(rows.map((row) => [row.environment, row.outcome])).toEqual([
      ['production', 'success'],
      ['staging', 'success'],
    ]);
    expect(rows[0]).toMatchObject({ triggeredAt: new Date(T0), finishedAt: new Date(T0 + HOUR) });
  });

  it('classifies failure, cancel and running; ignores executions without a deploy stage or an id', () => {
    const deploy = [{ type: 'deployManifest', status: 'SUCCEEDED', context: { account: 'prod-east' } }];
    expect(deploymentsOf(execution('TERMINAL', deploy), deployTypes, environments)[0]!.outcome).toBe('failure');
    expect(deploymentsOf(execution('FAILED_CONTINUE', deploy), deployTypes, environments)[0]!.outcome).toBe('failure');
    expect(deploymentsOf(execution('CANCELED', deploy), deployTypes, environments)[0]!.outcome).toBe('canceled');
    const running = deploymentsOf(execution('RUNNING', deploy), deployTypes, environments)[0]!;
    expect(running).toMatchObject({ outcome: 'running', finishedAt: null });
    expect(deploymentsOf(execution('SUCCEEDED', []), deployTypes, environments)).toEqual([]);
    expect(deploymentsOf(execution('SUCCEEDED', deploy, { id: undefined }), deployTypes, environments)).toEqual([]);
    expect(deploymentsOf({ stages: 'nonsense' }, deployTypes, environments)).toEqual([]);
  });
});

function row(id: string, outcome: 'success' | 'failure', triggeredHour: number, finishedHour: number): DeploymentRow {
  return {
    executionId: id,
    application: 'web',
    pipelineName: 'deploy',
    pipelineConfigId: null,
    environment: 'production',
    outcome,
    triggeredAt: new Date(T0 + triggeredHour * HOUR),
    finishedAt: new Date(T0 + finishedHour * HOUR),
  };
}

describe('measure', () => {
  it('computes the four measures over the range', () => {
    const from = new Date(T0);
    const to = new Date(T0 + 48 * HOUR);
    const rows = [
      row('a', 'success', 0, 1), // lead 1 h
      row('b', 'failure', 2, 3), // incident starts at 3
      row('c', 'failure', 4, 5), // same incident
      row('d', 'success', 6, 9), // restores at 9: 6 h; lead 3 h
      row('e', 'success', 10, 12), // lead 2 h
      row('f', 'failure', 40, 47), // unrestored inside the range…
    ];
    const after = [row('g', 'success', 47, 50)]; // …restored after it: 3 h
    const result = measure(rows, after, from, to);
    expect(result.deployments).toEqual({ successful: 3, failed: 3, perDay: 1.5 });
    expect(result.leadTimeMs).toEqual({ median: 2 * HOUR, p90: 3 * HOUR, count: 3 });
    expect(result.changeFailureRate).toBe(0.5);
    expect(result.timeToRestoreMs).toEqual({ median: 3 * HOUR, count: 2, unrestored: 0 });
    expect(measure(rows, [], from, to).timeToRestoreMs).toEqual({ median: 6 * HOUR, count: 1, unrestored: 1 });
  });

  it('has no rate and no medians without deployments', () => {
    const result = measure([], [], new Date(T0), new Date(T0 + HOUR));
    expect(result.changeFailureRate).toBeNull();
    expect(result.leadTimeMs.median).toBeNull();
    expect(result.timeToRestoreMs).toEqual({ median: null, count: 0, unrestored: 0 });
  });

  it('uses nearest-rank percentiles', () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90)).toBe(9);
    expect(percentile([], 50)).toBeNull();
  });
});
