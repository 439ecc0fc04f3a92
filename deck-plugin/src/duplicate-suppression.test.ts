import { PipelineRegistry, Registry, SETTINGS, registerPluginExtensions } from '@spinnaker/core';
import type { IStageTypeConfig } from '@spinnaker/core';

import { suppressDuplicateStages } from './duplicate-suppression';
import { plugin } from './plugin';
import { gateStageTypes } from './stages';

/** What Deck's WEBHOOK_STAGE run block registers for each `/webhooks/preconfigured` entry (webhookStage.ts). */
function genericWebhookStage(key: string): IStageTypeConfig {
  return {
    key,
    label: 'ISD gate (generic)',
    alias: 'preconfiguredWebhook',
    addAliasToConfig: true,
    controller: 'WebhookStageCtrl',
    templateUrl: 'webhookStage.html',
    validators: [],
  };
}

const keys = gateStageTypes.map((stage) => stage.key);

beforeEach(() => {
  SETTINGS.hiddenStages = ['someHiddenStage'];
});

describe('suppressDuplicateStages with the real PipelineRegistry', () => {
  it('removes generic registrations made before the plugin and keeps ours', () => {
    const registry = new PipelineRegistry();
    keys.forEach((key) => registry.registerStage(genericWebhookStage(key)));
    gateStageTypes.forEach((stage) => registry.registerStage(stage));
    expect(registry.getStageTypes().filter((stage) => keys.includes(stage.key))).toHaveLength(
      2 * gateStageTypes.length,
    );

    const report = suppressDuplicateStages(registry, gateStageTypes);

    expect(report).toEqual({ removed: gateStageTypes.length, stageListFound: true });
    for (const key of keys) {
      const matches = registry.getStageTypes().filter((stage) => stage.key === key);
      expect(matches).toHaveLength(1);
      expect(matches[0]?.component).toBeDefined();
      expect(registry.getStageConfig({ type: key } as never)?.component).toBe(
        gateStageTypes.find((s) => s.key === key)?.component,
      );
    }
  });

  it('drops generic registrations that arrive after initialize (the async /webhooks/preconfigured fetch)', () => {
    const registry = new PipelineRegistry();
    gateStageTypes.forEach((stage) => registry.registerStage(stage));
    suppressDuplicateStages(registry, gateStageTypes);
    // Through Deck's public setting, keeping what the operator hid already.
    expect(SETTINGS.hiddenStages).toEqual(['someHiddenStage', ...keys]);
    keys.forEach((key) => registry.registerStage(genericWebhookStage(key)));
    registry.registerStage(genericWebhookStage('someOtherWebhook'));

    expect(registry.getStageTypes().filter((stage) => keys.includes(stage.key))).toHaveLength(gateStageTypes.length);
    expect(registry.getStageTypes().some((stage) => stage.key === 'someOtherWebhook')).toBe(true);
  });

  it('is safe to run twice and removes a second copy of our own configs', () => {
    const registry = new PipelineRegistry();
    gateStageTypes.forEach((stage) => registry.registerStage(stage));
    gateStageTypes.forEach((stage) => registry.registerStage(stage));
    expect(suppressDuplicateStages(registry, gateStageTypes).removed).toBe(gateStageTypes.length);
    expect(suppressDuplicateStages(registry, gateStageTypes).removed).toBe(0);
    keys.forEach((key) => registry.registerStage(genericWebhookStage(key)));
    expect(registry.getStageTypes().filter((stage) => keys.includes(stage.key))).toHaveLength(gateStageTypes.length);
  });
});

describe('plugin through Deck’s registerPluginExtensions', () => {
  it('registers every stage and their help, and initialize() leaves one config per key', async () => {
    keys.forEach((key) => Registry.pipeline.registerStage(genericWebhookStage(key)));
    await registerPluginExtensions(plugin);
    keys.forEach((key) => Registry.pipeline.registerStage(genericWebhookStage(key)));

    const registered = Registry.pipeline.getStageTypes().filter((stage) => keys.includes(stage.key));
    expect(registered.map((stage) => stage.key).sort()).toEqual([...keys].sort());
    for (const stage of registered) {
      expect(stage.alias).toBe('preconfiguredWebhook');
      expect(stage.addAliasToConfig).toBe(true);
      expect(stage.supportsCustomTimeout).toBe(true);
      expect(stage.defaults.stageTimeoutMs).toBeGreaterThan(0);
      expect(stage.executionDetailsSections?.length).toBe(2);
    }
  });
});
