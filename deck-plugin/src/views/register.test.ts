import { ApplicationDataSourceRegistry, navigationCategoryRegistry } from '@spinnaker/core';

import { ApprovalsView } from './ApprovalsView';
import { applicationViews, ISD_CATEGORY, registerApplicationViews } from './register';
import type { InjectorLike } from './register';

describe('registerApplicationViews with Deck’s real registries', () => {
  it('adds an ISD navigation section whose entries route to the plugin’s application states', () => {
    const states: unknown[] = [];
    const injector: InjectorLike = { get: () => ({ addChildState: (state) => states.push(state) }) };

    expect(registerApplicationViews(injector)).toBe(true);
    expect(registerApplicationViews(injector)).toBe(true);

    expect(navigationCategoryRegistry.get(ISD_CATEGORY)).toMatchObject({ label: 'ISD', primary: true });
    const entries = ApplicationDataSourceRegistry.getDataSources().filter((source) => source.category === ISD_CATEGORY);
    expect(entries.map((entry) => entry.label)).toEqual(applicationViews.map((view) => view.label));
    expect(entries[0]).toEqual(
      expect.objectContaining({ key: 'isdApprovals', label: 'Approvals', sref: '.isdApprovals' }),
    );
    expect(states[0]).toEqual({
      name: 'isdApprovals',
      url: '/isd/approvals',
      views: { insight: { component: ApprovalsView, $type: 'react' } },
    });
    expect(states).toEqual(
      applicationViews.map((view) => ({
        name: view.key,
        url: view.url,
        views: { insight: { component: view.component, $type: 'react' } },
      })),
    );
    expect(entries.map((entry) => entry.sref)).toEqual(applicationViews.map((view) => `.${view.key}`));
  });

  it('reports that nothing was added when Deck’s injector is missing', () => {
    expect(registerApplicationViews(undefined)).toBe(false);
  });
});
