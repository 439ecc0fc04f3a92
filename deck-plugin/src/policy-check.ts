// Save-time policy check: before Deck saves a pipeline that contains an ISD gate, sapor's
// pipeline-check decides whether the new config is allowed; its deny messages block the save.
import type { ICustomValidator, IPipeline, IStage } from '@spinnaker/core';

import type { SidecarClient } from './api/sidecar-client';
import type { PipelineCheckResult } from './api/sidecar-shapes';

/** Outcome of one check: sapor's answer, or the reason it could not be asked. */
export type PipelineCheckOutcome = { ok: true; result: PipelineCheckResult } | { ok: false; error: string };

/** Fields Deck changes on every save that do not change what the pipeline does. */
const volatileFields = ['updateTs', 'lastModifiedBy', 'lastModified'];

/** Runs sapor's pipeline-check at most once per distinct pipeline config. */
export class PipelineChecker {
  private readonly cache = new Map<string, Promise<PipelineCheckOutcome>>();

  constructor(
    private readonly client: () => SidecarClient,
    private readonly maxEntries = 20,
  ) {}

  /** Checks a pipeline config; repeated calls with an equal config share one request. */
  check(pipeline: IPipeline): Promise<PipelineCheckOutcome> {
    const key = canonicalJson(pipeline);
    let outcome = this.cache.get(key);
    if (!outcome) {
      outcome = this.client()
        .checkPipeline(JSON.parse(key))
        .then(
          (result): PipelineCheckOutcome => ({
            ok: true,
            result: { deny: Array.isArray(result?.deny) ? result.deny : [] },
          }),
          (error: unknown): PipelineCheckOutcome => {
            // A failure is not remembered: the next validation asks again.
            this.cache.delete(key);
            return { ok: false, error: error instanceof Error ? error.message : String(error) };
          },
        );
      this.cache.set(key, outcome);
      while (this.cache.size > this.maxEntries) this.cache.delete(this.cache.keys().next().value as string);
    }
    return outcome;
  }

  /**
   * Deck validators: one lists sapor's deny messages and blocks saving; the other warns, without
   * blocking, when the check could not run (sapor down must not make every pipeline unsavable).
   */
  validators(gateKeys: readonly string[] = []): ICustomValidator[] {
    // Every ISD stage carries these validators; only the first ISD stage of a pipeline reports, so a
    // pipeline with three gates shows the policy messages once, not three times.
    const keys = new Set(gateKeys);
    const skipValidation = (pipeline: IPipeline, stage: IStage) =>
      keys.size > 0 && (pipeline.stages ?? []).find((candidate) => keys.has(candidate.type)) !== stage;
    return [
      {
        type: 'custom',
        preventSave: true,
        skipValidation,
        validate: async (pipeline: IPipeline) => {
          const outcome = await this.check(pipeline);
          return outcome.ok && outcome.result.deny.length > 0
            ? `Policy check denies saving this pipeline: ${outcome.result.deny.join('; ')}`
            : '';
        },
      },
      {
        type: 'custom',
        preventSave: false,
        skipValidation,
        validate: async (pipeline: IPipeline) => {
          const outcome = await this.check(pipeline);
          return outcome.ok ? '' : `Policy check could not run (${outcome.error}); the pipeline was not checked.`;
        },
      },
    ];
  }
}

function canonicalJson(pipeline: IPipeline): string {
  const copy: Record<string, unknown> = { ...(pipeline as unknown as Record<string, unknown>) };
  for (const field of volatileFields) delete copy[field];
  return JSON.stringify(copy);
}
