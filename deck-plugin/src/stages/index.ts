// The gate stage configs the plugin registers with Deck.
import type { IStageTypeConfig } from '@spinnaker/core';

import { ApprovalExecutionDetails } from './approval/ApprovalExecutionDetails';
import { ApprovalStageConfig } from './approval/ApprovalStageConfig';
import { PolicyExecutionDetails } from './policy/PolicyExecutionDetails';
import { PolicyStageConfig } from './policy/PolicyStageConfig';
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

/** All gate stage configs, in the order the stage picker lists them. */
export const gateStageTypes: IStageTypeConfig[] = [
  policyStage,
  verificationStage,
  testVerificationStage,
  approvalStage,
  terraformStage,
];
