import { ApplicationDataSourceRegistry, navigationCategoryRegistry } from '@spinnaker/core';

import { ApprovalsView } from './ApprovalsView';
import { ISD_CATEGORY, registerApplicationViews } from './register';
import type { InjectorLike } from './register';

describe('registerApplicationViews with Deck’s real registries', () => {
  it('adds an ISD navigation section whose entries route to the plugin’s application states', () => {
    const states: unknown[] = [];
    const injector: InjectorLike = { get: () => ({ addChildState: (state) => states.push(state) }) };

    expect(registerApplicationViews(injector)).toBe(true);
    expect(registerApplicationViews(injector)).toBe(true);

    expect(navigationCategoryRegistry.get(ISD_CATEGORY)).toMatchObject({ label: 'ISD', primary: true });
    const entries = ApplicationDataSourceRegistry.getDataSources().filter((source) => source.category === ISD_CATEGORY);
    expect(entries).toEqual([
      expect.objectContaining({ key: 'isdApprovals', label: 'Approvals', sref: '.isdApprovals' }),
    ]);
    expect(states).toEqual([
      { name: 'isdApprovals', url: '/isd/approvals', views: { insight: { component: ApprovalsView, $type: 'react' } } },
    ]);
  });

  it('reports that nothing was added when Deck’s injector is missing', () => {
    expect(registerApplicationViews(undefined)).toBe(false);
  });
});
