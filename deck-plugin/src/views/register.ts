// Adds an "ISD" section to every application's navigation in Deck, with the plugin's application views.
// Deck has no plugin field for routes; plugins add application states through Deck's `applicationState`
// provider (taken from the page's angular injector, as Deck's own modules do in their config blocks) and
// navigation entries through the public ApplicationDataSourceRegistry and navigationCategoryRegistry.
import { ApplicationDataSourceRegistry, navigationCategoryRegistry } from '@spinnaker/core';
import type { ApplicationStateProvider } from '@spinnaker/core';
import type React from 'react';

import { AccountsView } from './AccountsView';
import { ApprovalsView } from './ApprovalsView';
import { InsightsView } from './InsightsView';
import { PoliciesView } from './PoliciesView';
import { VerificationsView } from './VerificationsView';

/** Navigation category of the ISD views. */
export const ISD_CATEGORY = 'isd';

/** One application view: its state (under the application) and its navigation entry. */
export interface ApplicationView {
  key: string;
  label: string;
  description: string;
  url: string;
  component: React.ComponentType<{ app: { name: string } }>;
}

/** The views the plugin adds to each application. */
export const applicationViews: ApplicationView[] = [
  {
    key: 'isdApprovals',
    label: 'Approvals',
    description: 'ISD approval gates waiting for you, and this application’s gate history',
    url: '/isd/approvals',
    component: ApprovalsView,
  },
  {
    key: 'isdVerifications',
    label: 'Verifications',
    description: 'ISD verifications of this application: scores over time per pipeline and each run’s report',
    url: '/isd/verifications',
    component: VerificationsView,
  },
  {
    key: 'isdPolicies',
    label: 'Policies',
    description: 'ISD policies in force, this application’s policy decisions with their inputs, and a playground',
    url: '/isd/policies',
    component: PoliciesView,
  },
  {
    key: 'isdInsights',
    label: 'Insights',
    description: 'DORA measures and gate numbers of this application over time',
    url: '/isd/insights',
    component: InsightsView,
  },
  {
    key: 'isdAccounts',
    label: 'Accounts',
    description: 'Kubernetes accounts added through sapor without a restart (account admins change them)',
    url: '/isd/accounts',
    component: AccountsView,
  },
];

/** The part of angular's injector the registration uses. */
export interface InjectorLike {
  get(name: 'applicationState'): Pick<ApplicationStateProvider, 'addChildState'>;
}

/** Registers the category, states and navigation entries; false when Deck's injector is not there. */
export function registerApplicationViews(injector: InjectorLike | undefined): boolean {
  if (!injector) return false;
  // Registering twice would list every view twice (the plugin may be initialised more than once).
  if (navigationCategoryRegistry.has(ISD_CATEGORY)) return true;
  // Between Deck's Delivery (100) and Infrastructure (200) sections.
  navigationCategoryRegistry.register({
    key: ISD_CATEGORY,
    label: 'ISD',
    icon: 'fa fa-fw fa-xs fa-check-square-o',
    primary: true,
    order: 150,
  });
  const applicationState = injector.get('applicationState');
  for (const view of applicationViews) {
    applicationState.addChildState({
      name: view.key,
      url: view.url,
      views: { insight: { component: view.component, $type: 'react' } },
    });
    ApplicationDataSourceRegistry.registerDataSource({
      key: view.key,
      label: view.label,
      description: view.description,
      sref: `.${view.key}`,
      category: ISD_CATEGORY,
      visible: true,
      defaultData: [],
    });
  }
  return true;
}
