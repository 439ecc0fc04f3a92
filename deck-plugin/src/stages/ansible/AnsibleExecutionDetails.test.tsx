import { screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { executionStage } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { AnsibleExecutionDetails } from './AnsibleExecutionDetails';

const runId = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f11223344';
const route = `GET /proxies/visibility/api/v1/awx-jobs/${runId}`;

function run(overrides: Partial<ExternalStageRun> = {}): ExternalStageRun {
  return {
    id: runId,
    kind: 'awx',
    status: 'waiting',
    message: 'job 101 is running',
    application: 'app',
    executionId: 'exec-1',
    stageId: 'stage-1',
    ref: { id: '101', url: 'https://awx.example.com/#/jobs/playbook/101/output' },
    observed: { jobId: 101, status: 'running', elapsed: 0, stdoutTail: 'PLAY [deploy] ***\nTASK [pull] ok\n' },
    request: { jobTemplate: 'deploy-web' },
    createdAt: '2026-12-01T10:00:00.000Z',
    observedAt: '2026-12-01T10:00:05.000Z',
    deadline: '2026-12-01T12:00:00.000Z',
    closedAt: null,
    ...overrides,
  };
}

describe('AnsibleExecutionDetails', () => {
  it('links the job and shows its status and the end of its output', async () => {
    const gate = new FakeGate().on(route, { body: run() });
    const { container, settled } = renderDetails(AnsibleExecutionDetails, executionStage('isdAnsibleJob', run()), gate);
    await settled();
    const anchor = container.querySelector('.isd-ansible-job a') as HTMLAnchorElement;
    expect(anchor.textContent).toBe('101');
    expect(anchor.href).toBe('https://awx.example.com/#/jobs/playbook/101/output');
    expect(container.querySelector('.isd-status')?.textContent).toBe('Running');
    expect(container.querySelector('.isd-ansible-status')?.textContent).toBe('running');
    expect(container.querySelector('.isd-ansible-output')?.textContent).toBe('PLAY [deploy] ***\nTASK [pull] ok\n');
    expect(container.querySelector('.isd-ansible-elapsed')).toBeNull();
  });

  it('shows a failed job as an error with its run time, from visibility’s fresher answer', async () => {
    const gate = new FakeGate().on(route, {
      body: run({
        status: 'failed',
        message: 'job 101 ended failed',
        observed: { status: 'failed', elapsed: 42.5, stdoutTail: 'fatal: [web1]: UNREACHABLE!\n' },
        closedAt: '2026-12-01T10:01:00Z',
      }),
    });
    const { container } = renderDetails(AnsibleExecutionDetails, executionStage('isdAnsibleJob', run()), gate);
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Failed'));
    expect(screen.getByText('job 101 ended failed')).toBeTruthy();
    expect(container.querySelector('.isd-ansible-elapsed')?.textContent).toBe('42.5 s');
    expect(container.querySelector('.isd-ansible-output')?.textContent).toBe('fatal: [web1]: UNREACHABLE!\n');
  });

  it('shows Orca’s webhook error when the create was refused, or that nothing launched yet', () => {
    renderDetails(AnsibleExecutionDetails, {
      ...executionStage('isdAnsibleJob', undefined),
      context: { webhook: { error: 'visibility answered 400: body.extraVars' } },
    });
    expect(screen.getByText('visibility answered 400: body.extraVars')).toBeTruthy();
  });

  it('says the job has not been launched before any answer', () => {
    renderDetails(AnsibleExecutionDetails, { ...executionStage('isdAnsibleJob', undefined), context: {} });
    expect(screen.getByText('The job has not been launched yet.')).toBeTruthy();
  });
});
