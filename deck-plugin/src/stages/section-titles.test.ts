import { robotToHuman } from '@spinnaker/core';

import { gateStageTypes } from './index';

describe('execution details section titles', () => {
  it('read as words in Deck’s section navigation, which humanises the section key', () => {
    // robotToHuman puts a space before every capital, the first included; HTML does not show it.
    const titles = gateStageTypes.map((stage) => robotToHuman(stage.executionDetailsSections?.[0]?.title ?? '').trim());
    expect(titles).toEqual([
      'Policy',
      'Verification',
      'Test Verification',
      'Approval',
      'Terraform',
      'Jira',
      'Change',
      'Ansible',
    ]);
  });
});
