import { screen } from '@testing-library/react';

import { executionStage, policyDecisions } from '../../../test/fixtures';
import { renderDetails } from '../../../test/render-helpers';
import { PolicyExecutionDetails } from './PolicyExecutionDetails';

describe('PolicyExecutionDetails', () => {
  it('renders an allow decision with policy, version and decision id', () => {
    const { container } = renderDetails(PolicyExecutionDetails, executionStage('isdPolicyGate', policyDecisions.allow));
    expect(container.querySelector('.isd-status')?.textContent).toBe('Allowed');
    expect(container.querySelector('.isd-policy-path')?.textContent).toBe('isd/deploy/allowed');
    expect(container.querySelector('.isd-policy-name')?.textContent).toBe('deploy-rules');
    expect(container.querySelector('.isd-policy-version')?.textContent).toBe('3');
    expect(container.querySelector('.isd-decision-id')?.textContent).toBe('dec-5b8e2c');
    expect(container.querySelector('.isd-policy-messages')).toBeNull();
  });

  it('renders a deny decision with every message', () => {
    const { container } = renderDetails(PolicyExecutionDetails, executionStage('isdPolicyGate', policyDecisions.deny));
    expect(container.querySelector('.isd-status')?.textContent).toBe('Denied');
    expect(Array.from(container.querySelectorAll('.isd-policy-messages li')).map((li) => li.textContent)).toEqual(
      policyDecisions.deny.messages,
    );
    expect(container.querySelector('.isd-decision-id')?.textContent).toBe('dec-77aa01');
  });

  it('shows Orca’s webhook error when the policy could not be evaluated', () => {
    const stage = {
      ...executionStage('isdPolicyGate', undefined),
      context: { webhook: { error: 'sapor answered 400: policy is required' } },
    };
    renderDetails(PolicyExecutionDetails, stage);
    expect(screen.getByText('sapor answered 400: policy is required')).toBeTruthy();
  });

  it('says the policy has not been evaluated yet before Orca has an answer', () => {
    renderDetails(PolicyExecutionDetails, { ...executionStage('isdPolicyGate', undefined), context: {} });
    expect(screen.getByText('The policy has not been evaluated yet.')).toBeTruthy();
  });
});
