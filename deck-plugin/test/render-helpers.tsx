// Renders the plugin's editors and execution views the way Deck does, with the sidecars behind a fake Gate.
import { fireEvent, render, waitFor } from '@testing-library/react';
import type { RenderResult } from '@testing-library/react';
import React from 'react';
import { HelpTextExpandedContext } from '@spinnaker/core';
import type { IExecutionDetailsSectionProps, IStage, IStageConfigProps } from '@spinnaker/core';

import { SidecarClientProvider } from '../src/api/client-context';
import { createGateProxyClient } from '../src/api/sidecar-client';
import { defaultParameterValues, gateStages } from '../src/catalog';
import type { GateKind } from '../src/catalog';
import { FakeGate } from './fake-gate';

/** A new stage as Deck creates it when the author picks the gate (the stage config's defaults applied). */
export function newStage(kind: GateKind, parameterValues: Record<string, unknown> = {}): IStage {
  const gate = gateStages[kind];
  return {
    name: gate.label,
    refId: '1',
    requisiteStageRefIds: [],
    type: gate.key,
    alias: 'preconfiguredWebhook',
    ...structuredClone(gate.stageDefaults),
    parameterValues: { ...defaultParameterValues(gate), ...parameterValues },
  } as IStage;
}

/** Renders a config editor with Deck's props; `updateStage` records every change the editor reports. */
export function renderEditor(
  Editor: React.ComponentType<IStageConfigProps>,
  stage: IStage,
  gate = new FakeGate(),
  options: { expandHelp?: boolean } = {},
): RenderResult & { updates: IStage[]; gate: FakeGate; lastUpdate: () => IStage | undefined } {
  const updates: IStage[] = [];
  const pipeline = { id: 'p1', name: 'deploy', application: 'app', stages: [stage] };
  const props = {
    application: { name: 'app' },
    stage,
    pipeline,
    configuration: {},
    updateStage: (changes: Record<string, unknown>) => updates.push(structuredClone(changes) as IStage),
    updateStageField: () => undefined,
    stageFieldUpdated: () => undefined,
  } as unknown as IStageConfigProps;
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  const result = render(
    // Deck's "expand help" setting renders help text inline, which lets tests read it.
    <HelpTextExpandedContext.Provider value={options.expandHelp ?? false}>
      <SidecarClientProvider client={client}>
        <Editor {...props} />
      </SidecarClientProvider>
    </HelpTextExpandedContext.Provider>,
  );
  return { ...result, updates, gate, lastUpdate: () => updates[updates.length - 1] };
}

/** Renders an execution details section as Deck's StepExecutionDetails does for the selected tab. */
export function renderDetails(
  Section: React.ComponentType<IExecutionDetailsSectionProps> & { title: string },
  stage: unknown,
  gate = new FakeGate(),
  current = Section.title,
): RenderResult & { gate: FakeGate; settled: () => Promise<void> } {
  const props = {
    name: Section.title,
    current,
    application: { name: 'app' },
    execution: { id: 'exec-1', application: 'app', stages: [stage] },
    stage,
    provider: 'aws',
    detailsSections: [Section.title],
    config: {},
  } as unknown as IExecutionDetailsSectionProps;
  const client = createGateProxyClient({ gateUrl: gate.gateUrl, fetch: gate.fetch });
  const result = render(
    <SidecarClientProvider client={client}>
      <Section {...props} />
    </SidecarClientProvider>,
  );
  /** Waits until the view's refresh through the proxy has finished (so no update lands after the test). */
  const settled = () => waitFor(() => expect(result.container.querySelector('[data-refreshing="true"]')).toBeNull());
  return { ...result, gate, settled };
}

/**
 * Checks that the editor shows one help icon per catalog parameter and that hovering each shows the
 * parameter's help text from the catalog (Deck renders help as a popover, Markdown, so without backticks).
 */
export async function expectHelpForEveryParameter(container: HTMLElement, kind: GateKind): Promise<void> {
  const parameters = gateStages[kind].parameters;
  const icons = Array.from(container.querySelectorAll('.help-field'));
  expect(icons).toHaveLength(parameters.length);
  // Icons appear in layout order, not catalog order: each hover must reveal one not yet seen.
  const unseen = new Set(parameters.map((parameter) => parameter.help.replace(/`/g, '')));
  for (const icon of icons) {
    fireEvent.mouseEnter(icon);
    await waitFor(() => {
      const shown = [...unseen].find((text) => document.body.textContent?.includes(text));
      expect(shown).toBeDefined();
      unseen.delete(shown as string);
    });
    fireEvent.mouseLeave(icon);
  }
  expect([...unseen]).toEqual([]);
}

/** Waits for a <select> option with this exact text (getByRole's accessible-name search is slow on Deck's DOM). */
export async function findOption(text: string): Promise<HTMLOptionElement> {
  let found: HTMLOptionElement | undefined;
  await waitFor(() => {
    found = Array.from(document.querySelectorAll('option')).find((option) => option.textContent === text);
    expect(found).toBeDefined();
  });
  return found as HTMLOptionElement;
}
