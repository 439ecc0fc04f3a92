// Deck's WEBHOOK_STAGE registers every entry of Gate's `/webhooks/preconfigured` as a generic webhook
// stage with the same key as ours (webhookStage.ts), so without this the picker lists each gate twice
// and `getStageConfig` returns whichever registered first (PipelineRegistry.getStageConfig: matches[0]).
import type { IStageTypeConfig, PipelineRegistry } from '@spinnaker/core';

const wrappedMarker = Symbol.for('isd.deck-plugin.registerStage');

/** What suppressDuplicateStages did, for logs and tests. */
export interface SuppressionReport {
  /** Registrations for our keys removed from the registry. */
  removed: number;
  /** Whether the registry's stage list could be reached (Deck internals may change). */
  stageListFound: boolean;
}

/**
 * Makes `ours` the only stage configs for their keys: removes any other config already registered
 * under those keys and drops later registrations of them. Runs from `initialize()`, before Deck
 * starts the router, so no lookup has been memoized yet. Safe to call more than once.
 */
export function suppressDuplicateStages(registry: PipelineRegistry, ours: IStageTypeConfig[]): SuppressionReport {
  const keys = new Set(ours.map((stage) => stage.key));
  const isOurs = (stage: IStageTypeConfig) => ours.includes(stage);
  const isIntruder = (stage: IStageTypeConfig) => keys.has(stage.key) && !isOurs(stage);

  // `stageTypes` is private in PipelineRegistry; it is the list registerStage pushes to.
  const stageTypes = (registry as unknown as { stageTypes?: unknown }).stageTypes;
  let removed = 0;
  if (Array.isArray(stageTypes)) {
    const seen = new Set<string>();
    for (let index = stageTypes.length - 1; index >= 0; index--) {
      const stage = stageTypes[index] as IStageTypeConfig;
      // Also drop a second copy of our own config (the plugin listed twice), keeping the first.
      const duplicateOfOurs = isOurs(stage) && seen.has(stage.key);
      if (isOurs(stage)) seen.add(stage.key);
      if (isIntruder(stage) || duplicateOfOurs) {
        stageTypes.splice(index, 1);
        removed++;
      }
    }
  }

  const current = registry.registerStage as typeof registry.registerStage & { [wrappedMarker]?: Set<string> };
  if (current[wrappedMarker]) {
    for (const key of keys) current[wrappedMarker].add(key);
  } else {
    const original = current.bind(registry);
    const guardedKeys = new Set(keys);
    const guarded = Object.assign(
      (stage: IStageTypeConfig) => {
        // The generic preconfigured-webhook registration arrives after plugins load (an async REST call).
        if (guardedKeys.has(stage.key) && !ours.includes(stage)) return;
        original(stage);
      },
      { [wrappedMarker]: guardedKeys },
    );
    registry.registerStage = guarded;
  }
  return { removed, stageListFound: Array.isArray(stageTypes) };
}
