// The Deck plugin object: the three gate stages, their help texts, and the initialize() that keeps
// Deck's generic preconfigured-webhook registrations from shadowing them.
import { Registry } from '@spinnaker/core';
import type { IDeckPlugin } from '@spinnaker/core';

import { gateStages } from './catalog';
import type { GateKind } from './catalog';
import { helpKey } from './common/components';
import { suppressDuplicateStages } from './duplicate-suppression';
import { gateStageTypes } from './stages';
import { registerApplicationViews } from './views/register';
import type { InjectorLike } from './views/register';

/** Help texts for every gate parameter, keyed `isd.<kind>.<parameter>` for Deck's HelpField. */
export const helpContents: Record<string, string> = Object.fromEntries(
  (Object.keys(gateStages) as GateKind[]).flatMap((kind) =>
    gateStages[kind].parameters.map((parameter) => [helpKey(kind, parameter.name), parameter.help]),
  ),
);

/** The plugin Deck loads from `index.js` (named export `plugin`). */
export const plugin: IDeckPlugin = {
  stages: gateStageTypes,
  help: helpContents,
  initialize() {
    const report = suppressDuplicateStages(Registry.pipeline, gateStageTypes);
    if (!report.stageListFound) {
      // Later registrations are still dropped; only ones made before us could not be removed.
      console.warn('ISD plugin: Deck registry internals changed; duplicate gate stages may show in the picker');
    }
    // Deck exposes its angular injector on window.spinnaker once the app module runs (before plugins load).
    const deck = (window as { spinnaker?: { $injector?: InjectorLike } }).spinnaker;
    if (!registerApplicationViews(deck?.$injector)) {
      console.warn('ISD plugin: Deck’s injector is not available; the ISD application views are not added');
    }
  },
};
