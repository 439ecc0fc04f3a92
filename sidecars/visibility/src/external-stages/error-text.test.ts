// How each system's error body becomes the one line a stage failure shows.
import { awxErrorText } from './awx';
import { jiraErrorText } from './jira';
import { formatDuration } from './runner';
import { serviceNowErrorText } from './servicenow';

describe('error texts of the external systems', () => {
  it('joins JIRA’s errorMessages and field errors', () => {
    expect(jiraErrorText({ errorMessages: ['Issue does not exist'], errors: {} })).toBe('Issue does not exist');
    expect(jiraErrorText({ errorMessages: [], errors: { project: 'valid project is required', summary: 'x' } })).toBe(
      'project: valid project is required; summary: x',
    );
    expect(jiraErrorText({})).toBeUndefined();
    expect(jiraErrorText('<html>')).toBeUndefined();
  });

  it('reads ServiceNow’s {error: {message, detail}}', () => {
    expect(serviceNowErrorText({ error: { message: 'No Record found', detail: 'ACL' }, status: 'failure' })).toBe(
      'No Record found: ACL',
    );
    expect(serviceNowErrorText({ error: { message: 'Operation Failed' } })).toBe('Operation Failed');
    expect(serviceNowErrorText({ result: [] })).toBeUndefined();
  });

  it('reads AWX’s DRF bodies: detail, field lists, non-field errors', () => {
    expect(awxErrorText({ detail: 'Not found.' })).toBe('Not found.');
    expect(awxErrorText({ limit: ['Field is not configured to prompt on launch.'] })).toBe(
      'limit: Field is not configured to prompt on launch.',
    );
    expect(awxErrorText({ __all__: ['Job template is missing an inventory.'], variables_needed_to_start: ['x'] })).toBe(
      'Job template is missing an inventory.; variables_needed_to_start: x',
    );
    expect(awxErrorText(undefined)).toBeUndefined();
  });

  it('formats durations in their two largest units', () => {
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(90_061_000)).toBe('1d 1h');
    expect(formatDuration(500)).toBe('500ms');
  });
});
