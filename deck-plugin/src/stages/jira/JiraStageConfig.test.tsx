import { fireEvent, screen, waitFor } from '@testing-library/react';

import { expectHelpForEveryParameter, newStage, renderEditor } from '../../../test/render-helpers';
import { JiraStageConfig } from './JiraStageConfig';

const filled = {
  project: 'OPS',
  summary: 'Deploy shop',
  labels: ['release'],
  transition: 'Submit for Review',
  waitForStatuses: ['Done'],
  rejectStatuses: ['Rejected'],
};

describe('JiraStageConfig', () => {
  it('gives every catalog parameter a help icon whose popover shows the catalog text', async () => {
    const { container } = renderEditor(JiraStageConfig, newStage('jira', filled));
    await expectHelpForEveryParameter(container, 'jira');
  });

  it('shows the typed values and writes edits back typed: text, lists and minutes', async () => {
    const { lastUpdate } = renderEditor(JiraStageConfig, newStage('jira', filled));
    expect((screen.getByLabelText('Wait for statuses') as HTMLInputElement).value).toBe('Done');
    expect((document.querySelector('input[name="parameterValues.project"]') as HTMLInputElement).value).toBe('OPS');
    fireEvent.change(screen.getByLabelText('Wait for statuses'), { target: { value: 'Done, Approved,' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.waitForStatuses).toEqual(['Done', 'Approved']));
    // The trailing comma stays in the box while the author types the next name.
    expect((screen.getByLabelText('Wait for statuses') as HTMLInputElement).value).toBe('Done, Approved,');
    fireEvent.change(document.querySelector('input[name="parameterValues.summary"]') as HTMLInputElement, {
      target: { value: 'Deploy ${trigger.buildInfo.name}' },
    });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.summary).toBe('Deploy ${trigger.buildInfo.name}'));
    const minutes = document.querySelector('.isd-minutes input') as HTMLInputElement;
    expect(minutes.value).toBe('1440');
    fireEvent.change(minutes, { target: { value: '90' } });
    await waitFor(() => expect(lastUpdate()?.parameterValues?.timeoutMs).toBe(5_400_000));
  });

  it('names problems on their fields: key, labels with spaces, a status both waited for and rejecting', async () => {
    renderEditor(
      JiraStageConfig,
      newStage('jira', { ...filled, project: 'ops team', labels: ['two words'], rejectStatuses: ['done'] }),
    );
    expect(
      await screen.findByText(
        'Project key must be a JIRA project key: a letter, then letters, digits or _ (e.g. OPS).',
      ),
    ).toBeTruthy();
    expect(screen.getByText('Labels: "two words" has a space; JIRA labels cannot.')).toBeTruthy();
    expect(screen.getByText('Rejecting statuses: "done" is also a status to wait for.')).toBeTruthy();
  });

  it('requires project and summary, and a wait shorter than the stage timeout', async () => {
    renderEditor(JiraStageConfig, { ...newStage('jira', { project: '', summary: '', timeoutMs: 2 * 86_400_000 }) });
    expect(await screen.findByText('Project key is required.')).toBeTruthy();
    expect(screen.getByText('Summary is required.')).toBeTruthy();
    expect(
      screen.getByText(
        'Wait timeout (ms) must be shorter than the stage timeout (1d 10m), so the stage can report "timeout".',
      ),
    ).toBeTruthy();
  });

  it('reads a stage saved by Deck’s generic webhook form: numbers as text, lists comma-separated or JSON', async () => {
    const stage = {
      name: 'JIRA',
      refId: '1',
      requisiteStageRefIds: [],
      type: 'isdJiraIssue',
      parameterValues: {
        project: 'OPS',
        issueType: 'Task',
        summary: 'Deploy',
        labels: 'release, shop',
        waitForStatuses: '["Done","Closed"]',
        rejectStatuses: '',
        timeoutMs: '3600000',
      },
    };
    const { updates } = renderEditor(JiraStageConfig, stage as never);
    await waitFor(() =>
      expect(updates[0]?.parameterValues).toMatchObject({
        labels: ['release', 'shop'],
        waitForStatuses: ['Done', 'Closed'],
        rejectStatuses: [],
        timeoutMs: 3_600_000,
      }),
    );
    expect((screen.getByLabelText('Labels') as HTMLInputElement).value).toBe('release, shop');
    expect((screen.getByLabelText('Wait for statuses') as HTMLInputElement).value).toBe('Done, Closed');
    expect((document.querySelector('.isd-minutes input') as HTMLInputElement).value).toBe('60');
  });

  it('keeps an unreadable value and names it on its field', async () => {
    const stage = newStage('jira', { ...filled, waitForStatuses: '[1, 2' as unknown as string[] });
    renderEditor(JiraStageConfig, stage);
    expect(
      await screen.findByText(/^Wait for statuses must be a list of names in JSON; this text is not valid JSON/),
    ).toBeTruthy();
  });
});
