// The browser test's stand-in for Deck's plugin loader (spinnaker/deck packages/core/src/plugins):
// publishes the shared libraries from the real packages on window.spinnaker.plugins.sharedLibraries,
// import()s the plugin's built index.js by URL, registers it with @spinnaker/core's registerPluginExtensions,
// then renders each registered stage's editor and execution view as Deck would.
import './settings';
import * as uiRouterCore from '@uirouter/core';
import * as uiRouterReact from '@uirouter/react';
import * as uiRouterRx from '@uirouter/rx';
import * as lodash from 'lodash';
import * as propTypes from 'prop-types';
import * as react from 'react';
import * as reactDOM from 'react-dom';
import * as rxjs from 'rxjs';
import * as spinnakerCore from '@spinnaker/core';
import type {
  IDeckPlugin,
  IExecutionDetailsSectionProps,
  IStage,
  IStageConfigProps,
  IStageTypeConfig,
} from '@spinnaker/core';

const React = react;

/** An application state a plugin adds through Deck's `applicationState` provider. */
interface ApplicationState {
  name: string;
  views: { insight: { component: React.ComponentType<{ app: { name: string } }> } };
}

interface HostWindow extends Window {
  spinnaker: {
    plugins: { sharedLibraries: Record<string, unknown> };
    $injector: { get(name: string): { addChildState(state: ApplicationState): void } };
  };
  isdHost: {
    renderApplicationView: (state: string, application: string) => Promise<void>;
    load: (url: string) => Promise<string[]>;
    renderEditor: (key: string, parameterValues: Record<string, unknown>) => Promise<void>;
    renderExecution: (key: string, context: Record<string, unknown>) => Promise<void>;
    registered: () => Array<{ key: string; label?: string; hasComponent: boolean }>;
    stageUpdates: IStage[];
  };
}
const host = window as unknown as HostWindow;

/** Same names and sanitizing as Deck's sharedLibraries.ts. */
function exposeSharedLibraries(): void {
  const libraries: Record<string, unknown> = {
    '@spinnaker/core': spinnakerCore,
    '@uirouter/core': uiRouterCore,
    '@uirouter/react': uiRouterReact,
    '@uirouter/rx': uiRouterRx,
    lodash,
    'prop-types': propTypes,
    react,
    'react-dom': reactDOM,
    rxjs,
    'rxjs/Observable': { Observable: rxjs.Observable },
  };
  // Deck's angular injector, as far as plugins use it: the `applicationState` provider's addChildState.
  host.spinnaker = {
    plugins: { sharedLibraries: {} },
    $injector: {
      get(name) {
        if (name !== 'applicationState') throw new Error(`the host has no injectable ${name}`);
        return { addChildState: (state) => applicationStates.push(state) };
      },
    },
  };
  for (const [name, library] of Object.entries(libraries)) {
    host.spinnaker.plugins.sharedLibraries[name.replace(/[^\w]/g, '_')] = library;
  }
}

/** What Deck does with a generic preconfigured webhook entry (webhookStage.ts run block). */
function registerGenericWebhookStage(key: string): void {
  spinnakerCore.Registry.pipeline.registerStage({
    label: `${key} (generic webhook)`,
    key,
    alias: 'preconfiguredWebhook',
    addAliasToConfig: true,
    controller: 'WebhookStageCtrl',
    controllerAs: '$ctrl',
    templateUrl: 'webhookStage.html',
    validators: [],
  });
}

const root = document.getElementById('root') as HTMLElement;
const applicationStates: ApplicationState[] = [];
const pipeline = { id: 'pipeline-1', name: 'deploy-to-prod', application: 'checkout', stages: [] as IStage[] };

function stageConfig(key: string): IStageTypeConfig {
  const config = spinnakerCore.Registry.pipeline.getStageConfig({ type: key } as IStage);
  if (!config) throw new Error(`no stage config registered for ${key}`);
  return config;
}

function render(element: React.ReactElement): Promise<void> {
  return new Promise((resolve) => {
    reactDOM.unmountComponentAtNode(root);
    reactDOM.render(element, root, () => resolve());
  });
}

host.isdHost = {
  stageUpdates: [],
  async load(url: string) {
    exposeSharedLibraries();
    // Deck's WEBHOOK_STAGE registers the preconfigured webhooks with our keys too; one before the plugin loads...
    registerGenericWebhookStage('isdApprovalGate');
    const module = (await import(/* webpackIgnore: true */ url)) as { plugin?: IDeckPlugin };
    if (!module.plugin) throw new Error(`${url} has no named export "plugin"`);
    await spinnakerCore.registerPluginExtensions(module.plugin);
    // ...and the rest after (the /webhooks/preconfigured answer arrives asynchronously).
    registerGenericWebhookStage('isdVerificationGate');
    registerGenericWebhookStage('isdPolicyGate');
    return (module.plugin.stages ?? []).map((stage) => stage.key);
  },
  registered() {
    return spinnakerCore.Registry.pipeline
      .getStageTypes()
      .filter((stage) => stage.key.startsWith('isd'))
      .map((stage) => ({ key: stage.key, label: stage.label, hasComponent: Boolean(stage.component) }));
  },
  async renderEditor(key, parameterValues) {
    const config = stageConfig(key);
    const stage = spinnakerCore.Registry.pipeline.getStageConfig({ type: key } as IStage) && {
      name: config.label,
      refId: '1',
      requisiteStageRefIds: [],
      type: key,
      ...(config.addAliasToConfig ? { alias: config.alias } : {}),
      ...lodash.cloneDeep(config.defaults),
    };
    lodash.merge(stage, { parameterValues });
    pipeline.stages = [stage as IStage];
    const Editor = config.component as React.ComponentType<IStageConfigProps>;
    const props = {
      application: { name: 'checkout' },
      stage,
      pipeline,
      configuration: config.configuration,
      updateStage: (changes: Record<string, unknown>) =>
        host.isdHost.stageUpdates.push(lodash.cloneDeep(changes) as IStage),
      updateStageField: () => undefined,
      stageFieldUpdated: () => undefined,
    } as unknown as IStageConfigProps;
    await render(
      <div className="container-fluid isd-host" data-view={`${key}-editor`}>
        <h3>{config.label}</h3>
        <p className="text-muted">{config.description}</p>
        <Editor {...props} />
      </div>,
    );
  },
  async renderApplicationView(name, application) {
    const state = applicationStates.find((candidate) => candidate.name === name);
    if (!state) throw new Error(`no application state ${name} (registered: ${applicationStates.map((s) => s.name)})`);
    const View = state.views.insight.component;
    await render(
      <div className="isd-host" data-view={name}>
        <View app={{ name: application }} />
      </div>,
    );
  },
  async renderExecution(key, context) {
    const config = stageConfig(key);
    const [Section] = config.executionDetailsSections ?? [];
    if (!Section) throw new Error(`${key} has no execution details section`);
    const stage = {
      id: 'stage-1',
      refId: '1',
      name: config.label,
      type: key,
      status: 'RUNNING',
      context,
      outputs: {},
      tasks: [],
    };
    const props = {
      name: Section.title,
      current: Section.title,
      application: { name: 'checkout' },
      execution: { id: 'execution-1', application: 'checkout', stages: [stage] },
      stage,
      provider: 'aws',
      detailsSections: [Section.title],
      config,
    } as unknown as IExecutionDetailsSectionProps;
    await render(
      <div className="container-fluid isd-host" data-view={`${key}-execution`}>
        <h3>{config.label}: execution</h3>
        <Section {...props} />
      </div>,
    );
  },
};
