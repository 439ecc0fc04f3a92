import React from 'react';

import type { VerificationReport } from '../../api/sidecar-shapes';
import { formatTime } from '../approval/ApprovalParts';

/**
 * Says that retention trimmed an old verification, so empty charts and fewer log examples read as what
 * they are, not as a verification that saw no data.
 */
export function DetailsDropped(props: { report: VerificationReport }) {
  const dropped = props.report.detailsDropped;
  if (!dropped) return null;
  return (
    <p className="alert alert-info isd-details-dropped">
      Dropped on {formatTime(dropped.at)} by autopilot's retention: {dropped.dropped}. The verdict, scores, reasons and
      findings are kept.
    </p>
  );
}
