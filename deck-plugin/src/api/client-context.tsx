// Which SidecarClient the plugin's components use. Deck gets one that calls Gate with the browser's
// fetch; tests and the browser harness provide their own through the same context.
import React from 'react';
import { SETTINGS } from '@spinnaker/core';

import { createGateProxyClient } from './sidecar-client';
import type { SidecarClient } from './sidecar-client';

let defaultClient: SidecarClient | undefined;

/** The client for a running Deck: Gate's URL from Deck's settings, the page's fetch, session cookies. */
export function getDefaultSidecarClient(): SidecarClient {
  defaultClient ??= createGateProxyClient({
    gateUrl: SETTINGS.gateUrl,
    fetch: (url, init) => window.fetch(url, init),
  });
  return defaultClient;
}

/** Replaces the client every component uses when no provider is present (used by hosts that embed the plugin). */
export function setDefaultSidecarClient(client: SidecarClient): void {
  defaultClient = client;
}

const SidecarClientContext = React.createContext<SidecarClient | undefined>(undefined);

/** Props of SidecarClientProvider. */
export interface SidecarClientProviderProps {
  client: SidecarClient;
  children?: React.ReactNode;
}

/** Gives the components below it a specific SidecarClient. */
export function SidecarClientProvider(props: SidecarClientProviderProps) {
  return <SidecarClientContext.Provider value={props.client}>{props.children}</SidecarClientContext.Provider>;
}

/** The SidecarClient in effect for the calling component. */
export function useSidecarClient(): SidecarClient {
  return React.useContext(SidecarClientContext) ?? getDefaultSidecarClient();
}
