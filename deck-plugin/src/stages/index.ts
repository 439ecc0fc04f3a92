// The gate stage configs the plugin registers with Deck.
import type { IStageTypeConfig } from '@spinnaker/core';

import { AnsibleExecutionDetails } from './ansible/AnsibleExecutionDetails';
import { AnsibleStageConfig } from './ansible/AnsibleStageConfig';
import { ApprovalExecutionDetails } from './approval/ApprovalExecutionDetails';
import { ApprovalStageConfig } from './approval/ApprovalStageConfig';
import { PolicyExecutionDetails } from './policy/PolicyExecutionDetails';
import { PolicyStageConfig } from './policy/PolicyStageConfig';
import { JiraExecutionDetails } from './jira/JiraExecutionDetails';
import { JiraStageConfig } from './jira/JiraStageConfig';
import { ServiceNowExecutionDetails } from './servicenow/ServiceNowExecutionDetails';
import { ServiceNowStageConfig } from './servicenow/ServiceNowStageConfig';
import { gateStageType } from './stage-type';
import { TestVerificationExecutionDetails } from './test-verification/TestVerificationExecutionDetails';
import { TestVerificationStageConfig } from './test-verification/TestVerificationStageConfig';
import { TerraformExecutionDetails } from './terraform/TerraformExecutionDetails';
import { TerraformStageConfig } from './terraform/TerraformStageConfig';
import { VerificationExecutionDetails } from './verification/VerificationExecutionDetails';
import { VerificationStageConfig } from './verification/VerificationStageConfig';

/** Deck stage config of the approval gate. */
export const approvalStage: IStageTypeConfig = gateStageType('approval', ApprovalStageConfig, ApprovalExecutionDetails);

/** Deck stage config of the verification gate. */
export const verificationStage: IStageTypeConfig = gateStageType(
  'verification',
  VerificationStageConfig,
  VerificationExecutionDetails,
);

/** Deck stage config of the test verification gate. */
export const testVerificationStage: IStageTypeConfig = gateStageType(
  'testVerification',
  TestVerificationStageConfig,
  TestVerificationExecutionDetails,
);

/** Deck stage config of the policy gate. */
export const policyStage: IStageTypeConfig = gateStageType('policy', PolicyStageConfig, PolicyExecutionDetails);

/** Deck stage config of the Terraform stage (plan, approval on the plan, apply). */
export const terraformStage: IStageTypeConfig = gateStageType(
  'terraform',
  TerraformStageConfig,
  TerraformExecutionDetails,
);

/** Deck stage config of the JIRA stage. */
export const jiraStage: IStageTypeConfig = gateStageType('jira', JiraStageConfig, JiraExecutionDetails);

/** Deck stage config of the ServiceNow stage. */
export const serviceNowStage: IStageTypeConfig = gateStageType(
  'servicenow',
  ServiceNowStageConfig,
  ServiceNowExecutionDetails,
);

/** Deck stage config of the Ansible (AWX / Tower) stage. */
export const ansibleStage: IStageTypeConfig = gateStageType('awx', AnsibleStageConfig, AnsibleExecutionDetails);

/** All stage configs, in the order the stage picker lists them. */
export const gateStageTypes: IStageTypeConfig[] = [
  policyStage,
  verificationStage,
  testVerificationStage,
  approvalStage,
  terraformStage,
  jiraStage,
  serviceNowStage,
  ansibleStage,
];
