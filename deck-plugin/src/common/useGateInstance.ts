// The gate instance an execution view shows: Orca's copy from the stage context at once, then the
// sidecar's own answer through Gate's proxy (fresher, and for approvals it says whether the user may decide).
import React from 'react';
import type { IExecutionStage } from '@spinnaker/core';

import { gateBody, gateId } from './stage-context';

/** What an execution view knows about its gate. */
export interface GateInstanceState<T> {
  /** The freshest body known: the sidecar's answer if it came, else Orca's monitor body. */
  instance: T | undefined;
  /** Whether `instance` came from the sidecar through the proxy (rather than Orca's copy). */
  live: boolean;
  /** Why the refresh through the proxy failed, if it did. */
  refreshError: string | undefined;
  refreshing: boolean;
  refresh: () => void;
  /** Replaces the instance with one the sidecar returned (e.g. after a decision). */
  update: (next: T) => void;
}

/** Reads the gate body from the stage and refreshes it with `load(id)` when the view mounts or the stage changes. */
export function useGateInstance<T extends { status?: string }>(
  stage: IExecutionStage,
  load: (id: string) => Promise<T>,
): GateInstanceState<T> {
  const fromContext = gateBody<T>(stage);
  const id = gateId(stage);
  const [fetched, setFetched] = React.useState<T | undefined>();
  const [refreshError, setRefreshError] = React.useState<string | undefined>();
  const [refreshing, setRefreshing] = React.useState(false);
  const [attempt, setAttempt] = React.useState(0);

  React.useEffect(() => {
    if (!id) return undefined;
    let active = true;
    setRefreshing(true);
    load(id).then(
      (value) => {
        if (!active) return;
        setFetched(value);
        setRefreshError(undefined);
        setRefreshing(false);
      },
      (error: unknown) => {
        if (!active) return;
        setRefreshError(error instanceof Error ? error.message : String(error));
        setRefreshing(false);
      },
    );
    return () => {
      active = false;
    };
    // Refresh when the gate, Orca's view of its status, or the user's request changes; `load` is stable in intent.
  }, [id, fromContext?.status, attempt]);

  return {
    instance: fetched ?? fromContext,
    live: fetched !== undefined,
    refreshError,
    refreshing,
    refresh: () => setAttempt((n) => n + 1),
    update: setFetched,
  };
}
