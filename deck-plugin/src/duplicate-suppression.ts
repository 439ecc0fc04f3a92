// Deck's WEBHOOK_STAGE registers every entry of Gate's `/webhooks/preconfigured` as a generic webhook
// stage with the same key as ours (webhookStage.ts), so without this the picker lists each gate twice
// and `getStageConfig` returns whichever registered first (PipelineRegistry.getStageConfig: matches[0]).
import { SETTINGS } from '@spinnaker/core';
import type { IStageTypeConfig, PipelineRegistry } from '@spinnaker/core';

/** What suppressDuplicateStages did, for logs and tests. */
export interface SuppressionReport {
  /** Registrations for our keys removed from the registry (made before the plugin's). */
  removed: number;
  /** Whether the registry's stage list could be reached (Deck internals may change). */
  stageListFound: boolean;
}

/**
 * Makes `ours` the only stage configs for their keys. Runs from `initialize()`, after Deck registered
 * `ours` and before the generic registrations (an async REST call made once Deck has started).
 *
 * Later registrations are refused through Deck's public `hiddenStages` setting, which
 * `PipelineRegistry.registerStage` checks. Registrations made before ours (not expected, but a slow
 * plugin load could allow it) can only be removed from the registry's private stage list; a test
 * against the real registry fails if Deck changes it. Safe to call more than once.
 */
export function suppressDuplicateStages(registry: PipelineRegistry, ours: IStageTypeConfig[]): SuppressionReport {
  const keys = new Set(ours.map((stage) => stage.key));
  const hidden = SETTINGS.hiddenStages ?? [];
  SETTINGS.hiddenStages = [...hidden, ...[...keys].filter((key) => !hidden.includes(key))];

  const stageTypes = (registry as unknown as { stageTypes?: unknown }).stageTypes;
  let removed = 0;
  if (Array.isArray(stageTypes)) {
    const seen = new Set<string>();
    for (let index = stageTypes.length - 1; index >= 0; index--) {
      const stage = stageTypes[index] as IStageTypeConfig;
      if (!keys.has(stage.key)) continue;
      // Keep one copy of our own config (the plugin may be listed twice); drop everything else.
      const keep = ours.includes(stage) && !seen.has(stage.key);
      seen.add(stage.key);
      if (!keep) {
        stageTypes.splice(index, 1);
        removed++;
      }
    }
  }
  return { removed, stageListFound: Array.isArray(stageTypes) };
}
