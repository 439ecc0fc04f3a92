import { screen, waitFor } from '@testing-library/react';

import { FakeGate } from '../../../test/fake-gate';
import { executionStage } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import type { ExternalStageRun } from '../../api/sidecar-shapes';
import { JiraExecutionDetails } from './JiraExecutionDetails';

const runId = '0b7c6f0e-6a8e-4d8a-9d59-3c1f3f3d2a10';
const route = `GET /proxies/visibility/api/v1/jira-issues/${runId}`;

function run(overrides: Partial<ExternalStageRun> = {}): ExternalStageRun {
  return {
    id: runId,
    kind: 'jira',
    status: 'waiting',
    message: 'OPS-12 is In Review; waiting for Done',
    application: 'app',
    executionId: 'exec-1',
    stageId: 'stage-1',
    ref: { id: 'OPS-12', url: 'https://jira.example.com/browse/OPS-12' },
    observed: { status: 'In Review', statusCategory: 'indeterminate', summary: 'Deploy shop 1.5.0' },
    request: { waitForStatuses: ['Done'], rejectStatuses: ['Rejected'] },
    createdAt: '2026-12-01T10:00:00.000Z',
    observedAt: '2026-12-01T10:00:05.000Z',
    deadline: '2026-12-02T10:00:00.000Z',
    closedAt: null,
    ...overrides,
  };
}

describe('JiraExecutionDetails', () => {
  it('links the issue and shows its JIRA status, what it waits for and the message', async () => {
    const gate = new FakeGate().on(route, { body: run() });
    const { container, settled } = renderDetails(JiraExecutionDetails, executionStage('isdJiraIssue', run()), gate);
    await settled();
    const link = container.querySelector('.isd-jira-issue a') as HTMLAnchorElement;
    expect(link.textContent).toBe('OPS-12');
    expect(link.href).toBe('https://jira.example.com/browse/OPS-12');
    expect(link.rel).toBe('noopener noreferrer');
    expect(container.querySelector('.isd-jira-summary')?.textContent).toBe(' Deploy shop 1.5.0');
    expect(container.querySelector('.isd-status')?.textContent).toBe('Waiting for JIRA');
    expect(container.querySelector('.isd-jira-status')?.textContent).toBe('In Review');
    expect(container.querySelector('.isd-jira-wait')?.textContent).toBe('Done');
    expect(container.querySelector('.isd-jira-reject')?.textContent).toBe('Rejected');
    expect(container.querySelector('.isd-jira-message')?.textContent).toBe('OPS-12 is In Review; waiting for Done');
  });

  it('shows visibility’s fresher status over Orca’s copy', async () => {
    const gate = new FakeGate().on(route, {
      body: run({
        status: 'done',
        message: 'OPS-12 is Done',
        observed: { status: 'Done' },
        closedAt: '2026-12-01T11:00:00Z',
      }),
    });
    const { container } = renderDetails(JiraExecutionDetails, executionStage('isdJiraIssue', run()), gate);
    await waitFor(() => expect(container.querySelector('.isd-status')?.textContent).toBe('Done'));
    expect(container.querySelector('.isd-jira-status')?.textContent).toBe('Done');
    expect(container.querySelector('.isd-jira-deadline')).toBeNull();
  });

  it('shows a failure as an error with JIRA’s words, and Orca’s copy when visibility is unreachable', async () => {
    const failed = run({
      status: 'failed',
      ref: null,
      observed: null,
      message:
        'JIRA answered 400 (bad request) to POST http://jira/rest/api/2/issue: project: valid project is required',
    });
    const gate = new FakeGate().on(route, { status: 502, text: '' });
    const { container, settled } = renderDetails(JiraExecutionDetails, executionStage('isdJiraIssue', failed), gate);
    await settled();
    expect(container.querySelector('.isd-status')?.textContent).toBe('Failed');
    expect(container.querySelector('.isd-jira-issue')?.textContent).toBe('not created yet');
    expect(screen.getByText(/project: valid project is required$/)).toBeTruthy();
    expect(screen.getByText("Showing Orca's last copy; visibility could not be reached:")).toBeTruthy();
  });

  it('says the issue is not created yet, or shows Orca’s error, before any answer', () => {
    renderDetails(JiraExecutionDetails, { ...executionStage('isdJiraIssue', undefined), context: {} });
    expect(screen.getByText('The JIRA issue has not been created yet.')).toBeTruthy();
  });

  it('shows Orca’s webhook error when the create was refused', () => {
    renderDetails(JiraExecutionDetails, {
      ...executionStage('isdJiraIssue', undefined),
      context: { webhook: { error: 'visibility answered 400: body.project: a JIRA project key' } },
    });
    expect(screen.getByText('visibility answered 400: body.project: a JIRA project key')).toBeTruthy();
  });
});
