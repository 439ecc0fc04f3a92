// Execution view of the policy gate: allow or deny, the policy's messages, its version and the decision id.
import React from 'react';
import { ExecutionDetailsSection } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps } from '@spinnaker/core';

import type { PolicyGateDecision } from '../../api/sidecar-shapes';
import { ErrorNotice } from '../../common/components';
import { gateBody, webhookError } from '../../common/stage-context';

/** Deck execution details section for the ISD policy gate. */
export function PolicyExecutionDetails(props: IExecutionDetailsSectionProps) {
  return (
    <ExecutionDetailsSection name={props.name} current={props.current}>
      <PolicyDetails {...props} />
    </ExecutionDetailsSection>
  );
}
PolicyExecutionDetails.title = 'policy';

function PolicyDetails(props: IExecutionDetailsSectionProps) {
  // The decision is taken on create and never changes, so Orca's copy is authoritative.
  const decision = gateBody<PolicyGateDecision>(props.stage);
  const orcaError = webhookError(props.stage);
  if (!decision || (decision.status !== 'allow' && decision.status !== 'deny')) {
    return (
      <div className="isd-policy-details">
        {orcaError ? (
          <ErrorNotice title="The policy could not be evaluated:" message={orcaError} />
        ) : (
          <p className="isd-empty">The policy has not been evaluated yet.</p>
        )}
      </div>
    );
  }
  const allowed = decision.status === 'allow';
  return (
    <div className="isd-policy-details">
      <div className="isd-status-line">
        <span
          className={`label ${allowed ? 'label-success' : 'label-danger'} isd-status`}
          data-status={decision.status}
        >
          {allowed ? 'Allowed' : 'Denied'}
        </span>
      </div>
      <dl className="dl-horizontal isd-policy-facts">
        <dt>Decision</dt>
        <dd className="isd-policy-path">
          <code>{decision.policy?.path ?? 'unknown'}</code>
        </dd>
        <dt>Policy</dt>
        <dd className="isd-policy-name">{decision.policy?.name ?? 'unknown'}</dd>
        <dt>Version</dt>
        <dd className="isd-policy-version">
          {decision.policy?.version != null ? String(decision.policy.version) : 'unknown'}
        </dd>
        <dt>Decision id</dt>
        <dd className="isd-decision-id">
          <code>{decision.decisionId}</code>
        </dd>
      </dl>
      {(decision.messages ?? []).length > 0 && (
        <>
          <h5>Messages</h5>
          <ul className="isd-policy-messages">
            {decision.messages.map((message, index) => (
              <li key={index}>{message}</li>
            ))}
          </ul>
        </>
      )}
    </div>
  );
}
